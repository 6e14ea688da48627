import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustodyEvent } from '../../src/shared/api';
import type { BundleDocument } from '../../src/shared/api-review';
import { openDatabase } from '../../src/main/db/database';
import { IdentityStore } from '../../src/main/identity/identity-store';
import { ferry } from '../harness/ferry-cli';
import { tempDir } from '../harness/temp';
import { BUNDLE_ID } from '../unit/custody-fixtures';
import { EVIL_FILE, makeBlockedBundle } from '../unit/review-overrides-fixtures';

// Issue 13 parts 4-6 through the built CLI, two data dirs as two stations: a bundle with a
// malicious pickle is refused by approval, media writing and import; a reviewer's signed,
// reasoned override lets it through, and the override is shown in the review document, the
// offline verify output, before import and in the custody report. An antivirus error refuses
// approval under the default station policy.
const PASS = 'correct horse battery staple';
const RULE = 'pickle.dangerous-import';
const REASON = 'evil.pkl is the vendor CI fixture; vLLM never loads it (checked the model index)';
const tmp = tempDir('ferry-overrides-');
afterAll(() => tmp.cleanup());
const L = join(tmp.path, 'low');
const H = join(tmp.path, 'high');
const bundle = join(tmp.path, 'bundle');
const unapproved = join(tmp.path, 'unapproved');
const at = (dataDir: string) => ['--data-dir', dataDir, '--json'];
const as = (name: string) => ['--as', name, '--passphrase-stdin'];
const signed = { input: `${PASS}\n` };

async function ok(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = await ferry(args, opts);
  expect(r.code, `ferry ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

const creator = (name: string) => {
  const db = openDatabase(join(L, 'ferry.db'));
  try {
    return new IdentityStore(db).unlock(name, PASS);
  } finally {
    db.close();
  }
};

async function pin(name: string): Promise<void> {
  const pub = join(tmp.path, `${name}.pub`);
  await ok(['identity', 'export-public', name, '--out', pub, ...at(L)]);
  await ok(['trust', 'add', pub, '--confirm', JSON.parse(readFileSync(pub, 'utf8')).fingerprint as string, ...as('adam'), ...at(H)], signed);
}

beforeAll(async () => {
  for (const [dir, names] of [[L, [['olga', 'operator'], ['rita', 'reviewer'], ['ray', 'reviewer']]], [H, [['adam', 'admin']]]] as const) {
    for (const [name, role] of names) await ok(['identity', 'create', '--name', name, '--role', role, '--passphrase-stdin', ...at(dir)], { input: `${PASS}\n` });
  }
  await makeBlockedBundle(bundle, creator('olga'), 'clean');
}, 120_000);

describe('a blocked bundle, an override, and the gates', () => {
  it('approval, media writing and import refuse it, naming the finding and how to record an override', async () => {
    const review = await ferry(['review', bundle, '--approve', '--reason', 'ok', ...as('ray'), ...at(L)], signed);
    expect(review.code).not.toBe(0);
    expect(review.stderr).toContain(`${EVIL_FILE} (${RULE}`);
    expect(review.stderr).toMatch(/--override --file/);
    const vol = join(tmp.path, 'vol-refused');
    mkdirSync(vol);
    const write = await ferry(['media', 'write', bundle, '--no-kit', '--to', vol, '--unapproved-reason', 'urgent fix for the offline team', ...as('olga'), ...at(L)], signed);
    expect(write.code).toBe(1);
    expect(write.stderr).toMatch(new RegExp(`unresolved blocking scan finding.*${EVIL_FILE}`));
    expect(readdirSync(vol)).toEqual([]);
    const models = join(tmp.path, 'models-refused');
    const imp = await ferry(['import', bundle, '--models-dir', models, ...as('adam'), ...at(H)], signed);
    expect(imp.code).toBe(1);
    expect(imp.stderr).toMatch(new RegExp(`cannot be imported: ${EVIL_FILE} \\(${RULE}`));
    expect(existsSync(models)).toBe(false);
  });

  it('a reviewer records an override with a reason; it is in the review document and approval goes through', async () => {
    const short = await ferry(['review', bundle, '--override', '--file', EVIL_FILE, '--rule', RULE, '--reason', 'fine', ...as('rita'), ...at(L)], signed);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 20 characters/);
    const r = await ok(['review', bundle, '--override', '--file', EVIL_FILE, '--rule', RULE, '--reason', REASON, ...as('rita'), ...at(L)], signed);
    expect(r.json()).toMatchObject({ bundleId: BUNDLE_ID, overrideFile: expect.stringMatching(/^overrides\//), unresolved: [] });
    const doc = (await ok(['review', bundle, ...at(L)])).json<BundleDocument>();
    expect(doc.unresolved).toEqual([]);
    expect(doc.overrides).toEqual([expect.objectContaining({ file: EVIL_FILE, rule: RULE, reason: REASON, by: expect.objectContaining({ name: 'rita' }) })]);
    expect((await ok(['review', bundle, '--data-dir', L])).stdout).toMatch(new RegExp(`OVERRIDDEN ${EVIL_FILE}  ${RULE}  by rita`));
    cpSync(bundle, unapproved, { recursive: true }); // overridden, never approved
    await ok(['review', bundle, '--approve', '--reason', 'override read and accepted', ...as('ray'), ...at(L)], signed);
  });

  it('writes the approved bundle without a reason; an unapproved one only with a reason, recorded in custody', async () => {
    const vol = join(tmp.path, 'vol-approved');
    mkdirSync(vol);
    await ok(['media', 'write', bundle, '--no-kit', '--to', vol, ...as('olga'), ...at(L)], signed);
    expect(readdirSync(join(vol, 'overrides'))).toHaveLength(1); // the override travels on the media
    const v2 = join(tmp.path, 'vol-unapproved');
    mkdirSync(v2);
    const refused = await ferry(['media', 'write', unapproved, '--no-kit', '--to', v2, ...as('olga'), ...at(L)], signed);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is not approved .*writing it to media needs an explicit choice with a reason/);
    expect(refused.stderr).toMatch(/--unapproved-reason/);
    expect(readdirSync(v2)).toEqual([]);
    await ok(['media', 'write', unapproved, '--no-kit', '--to', v2, '--unapproved-reason', 'offline team needs it for a dry run', ...as('olga'), ...at(L)], signed);
    const events = (await ok(['custody', 'log', '--bundle', BUNDLE_ID, ...at(L)])).json<CustodyEvent[]>();
    expect(events.find((e) => e.type === 'unapproved-write')).toMatchObject({ actor: 'olga', details: { reason: 'offline team needs it for a dry run' } });
    const written = events.filter((e) => e.type === 'written');
    expect(written.map((e) => e.details.approved)).toEqual(expect.arrayContaining([true, false]));
  });

  it('offline, verify reports the approval state beside the hashes and import shows the override, once the overriding reviewer is pinned', async () => {
    await pin('ray');
    const before = await ok(['verify', bundle, ...as('adam'), '--data-dir', H], signed);
    expect(before.stdout).toMatch(/^OK: bundle /);
    expect(before.stdout).toMatch(/Approval: POLICY NOT MET/);
    expect(before.stdout).toMatch(/approved by ray .* key pinned/);
    expect(before.stdout).toContain(`UNRESOLVED ${EVIL_FILE}  ${RULE}`);
    const models = join(tmp.path, 'models');
    const refused = await ferry(['import', bundle, '--models-dir', models, ...as('adam'), ...at(H)], signed);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/without an override from a pinned reviewer/);
    expect(existsSync(models)).toBe(false);

    await pin('rita');
    const after = await ok(['verify', bundle, ...as('adam'), '--data-dir', H], signed);
    expect(after.stdout).toMatch(/Approval: POLICY MET/);
    expect(after.stdout).toContain(`OVERRIDDEN ${EVIL_FILE}  ${RULE}  by rita (SHA256:`);
    expect(after.stdout).toContain(`: ${REASON}\n`);
    const imp = await ok(['import', bundle, '--models-dir', models, ...as('adam'), ...at(H)], signed);
    expect(imp.stderr).toMatch(/carries 1 override\(s\) of blocking scan findings/);
    expect(imp.stderr).toContain(REASON);
    expect(existsSync(join(models, 'org/m/evil.pkl'))).toBe(true);
    const events = (await ok(['custody', 'log', '--bundle', BUNDLE_ID, ...at(H)])).json<CustodyEvent[]>();
    expect(events.find((e) => e.type === 'overrides-accepted')).toMatchObject({ actor: 'adam', details: { overrides: [expect.objectContaining({ file: EVIL_FILE, reason: REASON, by: 'rita' })] } });
  });

  it('the custody report shows the override, who signed it and why', async () => {
    const html = join(tmp.path, 'report.html');
    await ok(['report', BUNDLE_ID, '--html', html, '--bundle-dir', bundle, ...at(L)]);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('Overrides of blocking findings');
    expect(page).toContain('<b>override-recorded</b>');
    expect(page).toContain(REASON);
    expect(page).toContain('<b>unapproved-write</b>');
  });

  it('ferry bundle create refuses an output folder whose parent does not exist (an unmounted drive)', async () => {
    const r = await ferry(['bundle', 'create', '--model', 'org/m', '--out', join(tmp.path, 'usb-not-mounted', 'bundle'), ...as('olga'), ...at(L)], signed);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usb-not-mounted does not exist: is the drive mounted\?/);
    expect(existsSync(join(tmp.path, 'usb-not-mounted'))).toBe(false);
  });

  it('an antivirus error refuses approval under the default policy, naming the state and the setting', async () => {
    const dir = join(tmp.path, 'av-error');
    await makeBlockedBundle(dir, creator('olga'), 'error');
    await ok(['review', dir, '--override', '--file', EVIL_FILE, '--rule', RULE, '--reason', REASON, ...as('rita'), ...at(L)], signed);
    const refused = await ferry(['review', dir, '--approve', '--reason', 'ok', ...as('ray'), ...at(L)], signed);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/antivirus is not clean for org\/m: ERROR \(ClamAV .*signature database date unknown\)/);
    expect(refused.stderr).toMatch(/requireCleanAntivirus/);
    expect((await ok(['review', dir, '--data-dir', L])).stdout).toMatch(/antivirus org\/m: ERROR/);
    expect((await ok(['trust', 'policy', ...at(L)])).json()).toMatchObject({ requireCleanAntivirus: true });
    await ok(['trust', 'policy', '--require-clean-antivirus', 'off', ...at(L)]);
    await ok(['review', dir, '--approve', '--reason', 'antivirus unavailable on this station; accepted', ...as('ray'), ...at(L)], signed);
  });
});
