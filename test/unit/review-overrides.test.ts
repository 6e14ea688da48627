import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/main/bundle/canonical-json';
import { checkOutputFolder } from '../../src/main/bundle/output-folder';
import { outputFolderPathProblem } from '../../src/shared/output-folder';
import { readManifest } from '../../src/main/bundle/manifest-io';
import { isoWithOffset } from '../../src/main/core/clock';
import { formatFingerprint } from '../../src/main/identity/keys';
import { parseKeyFile } from '../../src/main/identity/trust-store';
import { approvalState } from '../../src/main/review/approval-state';
import { blockingFindings, OVERRIDE_FORMAT, OVERRIDE_SIG, overridesState, recordOverride, unresolvedBlocks } from '../../src/main/review/overrides';
import { reviewBundle } from '../../src/main/review/review';
import { writeStatement } from '../../src/main/review/statement';
import { verifyApprovals } from '../../src/main/review/verify-approvals';
import { requireCleanAntivirus, setRequireCleanAntivirus } from '../../src/main/settings/antivirus-policy';
import { lowAndHigh, PASS, temp, type Station } from './custody-fixtures';
import { EVIL_FILE, makeBlockedBundle } from './review-overrides-fixtures';

let t: ReturnType<typeof temp>;
let low: Station;
let high: Station;
let dir: string;

beforeEach(async () => {
  t = temp();
  ({ low, high } = lowAndHigh(t.path, [['op', 'operator'], ['rita', 'reviewer'], ['ray', 'reviewer'], ['aud', 'auditor']]));
  dir = await makeBlockedBundle(join(t.path, 'bundle'), low.ids.unlock('op', PASS));
});
afterEach(() => {
  low.close();
  high.close();
  t.cleanup();
});

const as = (name: string) => low.ids.unlock(name, PASS);
const REASON = 'reviewed evil.pkl by hand: it is the vendor test fixture, never loaded by vLLM';
const finding = async () => (await unresolvedBlocks(dir))[0]!;
const override = async (name = 'rita', reason = REASON, at = dir) => {
  const f = await finding();
  return recordOverride({ dir: at, file: f.file, rule: f.rule, detail: f.detail, reason }, { db: low.db, custody: low.custody, acting: as(name) });
};
const approve = (name = 'rita') => reviewBundle({ dir, decision: 'approve', reason: 'ok' }, { db: low.db, custody: low.custody, acting: as(name) });
const pin = (name: string): void => {
  const key = parseKeyFile(JSON.stringify(low.ids.exportPublic(name)));
  high.trust.add(key, formatFingerprint(key.fingerprint), 'admin');
};

describe('overrides of blocking scan findings', () => {
  it('the malicious pickle is a blocking finding named by its bundle path and rule; approval refuses naming it and how to override', async () => {
    const { manifest } = await readManifest(dir);
    const blocking = blockingFindings(manifest);
    expect(blocking.length).toBeGreaterThan(0);
    expect(blocking.every((b) => b.file === EVIL_FILE)).toBe(true);
    const err = (await approve().catch((e: unknown) => e)) as Error & { hint?: string };
    expect(err.message).toContain(`${EVIL_FILE} (${blocking[0]!.rule}`);
    expect(err.message).toMatch(/unresolved blocking scan finding/);
    expect(err.hint).toMatch(/--override --file 'models\/org--m\/evil.pkl' --rule /);
    expect(readdirSync(dir)).not.toContain('approvals');
  });

  it('needs a written reason, a reviewer or admin, and someone other than the creator', async () => {
    await expect(override('rita', 'ok')).rejects.toThrow(/reason of at least 20 characters/);
    await expect(override('aud')).rejects.toThrow(/aud is auditor; only a reviewer or an admin/);
    const own = await makeBlockedBundle(join(t.path, 'own'), as('rita'));
    const f = (await unresolvedBlocks(own))[0]!;
    await expect(recordOverride({ dir: own, file: f.file, rule: f.rule, reason: REASON }, { db: low.db, custody: low.custody, acting: as('rita') })).rejects.toThrow(/two-person rule/);
    await expect(recordOverride({ dir, file: 'models/org--m/config.json', rule: f.rule, reason: REASON }, { db: low.db, custody: low.custody, acting: as('rita') })).rejects.toThrow(/has no blocking finding models\/org--m\/config.json/);
  });

  it('a recorded override is a signed file in overrides/ and a signed custody event; the finding is resolved and approval goes through', async () => {
    const before = (await unresolvedBlocks(dir)).length;
    for (let i = 0; i < before; i++) await override();
    const state = await overridesState(dir);
    expect(state.unresolved).toEqual([]);
    expect(state.valid).toHaveLength(before);
    expect(state.valid[0]).toMatchObject({ file: EVIL_FILE, reason: REASON, by: { name: 'rita', fingerprint: as('rita').fingerprint } });
    expect(readdirSync(join(dir, 'overrides'))).toHaveLength(before);
    const events = low.custody.bundleEvents(state.bundleId).filter((e) => e.type === 'override-recorded');
    expect(events).toHaveLength(before);
    expect(events[0]).toMatchObject({ actor: 'rita', details: { file: EVIL_FILE, reason: REASON, manifestSha256: state.manifestSha256 } });
    expect(events[0]!.signature).toBeTruthy();
    // The exported custody log in the bundle carries the override event.
    expect(readFileSync(join(dir, 'custody', 'events.jsonl'), 'utf8')).toContain('override-recorded');
    await expect(approve()).resolves.toMatchObject({ decision: 'approve' });
  });

  it('covers only the exact finding of the exact manifest: another bundle, an edited override or another detail are not covered', async () => {
    const n = (await unresolvedBlocks(dir)).length;
    for (let i = 0; i < n; i++) await override();
    // The same overrides copied into another bundle (another manifest) do not count there.
    const other = await makeBlockedBundle(join(t.path, 'other'), { actor: 'op2', station: 'low', creatorFingerprint: as('ray').fingerprint });
    cpSync(join(dir, 'overrides'), join(other, 'overrides'), { recursive: true });
    const o = await overridesState(other);
    expect(o.valid).toEqual([]);
    expect(o.unresolved.length).toBe(n);
    expect(o.problems[0]!.problem).toMatch(/override for another manifest/);
    // An edited reason no longer verifies.
    const file = join(dir, 'overrides', readdirSync(join(dir, 'overrides'))[0]!);
    writeFileSync(file, readFileSync(file, 'utf8').replace('by hand', 'by eye'));
    const edited = await overridesState(dir);
    expect(edited.problems).toContainEqual({ path: expect.stringMatching(/^overrides\//), problem: expect.stringMatching(/bad signature/) });
    expect(edited.unresolved.length).toBe(1);
    // A correctly signed override for the same file and rule but another detail covers nothing.
    writeFileSync(file, readFileSync(file, 'utf8').replace('by eye', 'by hand'));
    const { manifest, sha256 } = await readManifest(dir);
    const f = blockingFindings(manifest)[0]!;
    const rita = as('rita');
    const forged = { format: OVERRIDE_FORMAT, bundleId: manifest.bundleId, manifestSha256: sha256, file: f.file, rule: f.rule, detail: `${f.detail} (and more)`, reason: REASON, by: { name: 'rita', fingerprint: rita.fingerprint, role: 'reviewer' }, station: 'low', at: isoWithOffset() };
    await writeStatement(dir, { override: forged, publicKey: rita.publicKey, signature: rita.sign(OVERRIDE_SIG, canonicalJson(forged)) }, `overrides/${rita.fingerprint}-forged.json`);
    expect((await overridesState(dir)).problems).toContainEqual({ path: `overrides/${rita.fingerprint}-forged.json`, problem: expect.stringMatching(/names no blocking finding of this bundle/) });
  });

  it('offline, an override counts only when its signer is pinned there; the approval check says which findings are open', async () => {
    const n = (await unresolvedBlocks(dir)).length;
    for (let i = 0; i < n; i++) await override('rita');
    await approve('ray');
    pin('ray');
    const trust = high.trust.lookup();
    expect(await unresolvedBlocks(dir, { trust })).toHaveLength(n);
    const refused = await verifyApprovals(dir, trust, { requiredApprovals: 1 });
    expect(refused.ok).toBe(false);
    expect(refused.reasons[0]).toMatch(new RegExp(`blocked: ${n} blocking scan finding\\(s\\) without an override from a pinned reviewer \\(models/org--m/evil.pkl: `));
    pin('rita');
    expect(await unresolvedBlocks(dir, { trust: high.trust.lookup() })).toEqual([]);
    expect(await verifyApprovals(dir, high.trust.lookup(), { requiredApprovals: 1 })).toMatchObject({ ok: true, approvedBy: [{ name: 'ray' }] });
    // The approval state the verify output shows: who approved, pinned or not, the policy, the overrides.
    const s = await approvalState(dir, high.db);
    expect(s).toMatchObject({ policyMet: true, approvals: [{ name: 'ray', pinned: true, counted: true, decision: 'approve' }], unresolved: [] });
    expect(s.overrides[0]).toMatchObject({ file: EVIL_FILE, reason: REASON, by: { name: 'rita' } });
  });
});

describe('antivirus approval policy', () => {
  it('under the default policy an antivirus error refuses approval, naming the state and the setting; turned off, it does not', async () => {
    const clean = await makeBundle2('error');
    expect(requireCleanAntivirus(low.db)).toBe(true);
    const err = (await reviewBundle({ dir: clean, decision: 'approve', reason: 'ok' }, { db: low.db, custody: low.custody, acting: as('rita') }).catch((e: unknown) => e)) as Error & { hint?: string };
    expect(err.message).toMatch(/antivirus is not clean for org\/m: ERROR \(ClamAV 1\.0\.7; LibClamAV Error: .*No supported database files.*; signature database date unknown\)/);
    expect(err.message).toMatch(/requireCleanAntivirus/);
    expect(err.hint).toMatch(/--require-clean-antivirus off/);
    setRequireCleanAntivirus(low.db, false);
    await expect(reviewBundle({ dir: clean, decision: 'approve', reason: 'ok' }, { db: low.db, custody: low.custody, acting: as('rita') })).resolves.toMatchObject({ decision: 'approve' });
  });

  // A bundle whose only blocking finding has been overridden, with the given antivirus state.
  async function makeBundle2(av: 'error' | 'not-run'): Promise<string> {
    const d = await makeBlockedBundle(join(t.path, `av-${av}`), as('op'), av);
    for (const f of await unresolvedBlocks(d)) await recordOverride({ dir: d, file: f.file, rule: f.rule, detail: f.detail, reason: REASON }, { db: low.db, custody: low.custody, acting: as('ray') });
    return d;
  }
});

describe('the output folder rule (create form and ferry bundle create)', () => {
  it('refuses a relative path and a folder whose parent does not exist; accepts a new folder in an existing one', async () => {
    await expect(checkOutputFolder('bundles/x')).rejects.toThrow(/relative path/);
    await expect(checkOutputFolder(join(t.path, 'not-mounted', 'bundle'))).rejects.toThrow(/parent .*not-mounted does not exist: is the drive mounted\?/);
    await expect(checkOutputFolder(join(t.path, 'bundle-new'))).resolves.toBe(join(t.path, 'bundle-new'));
    expect(outputFolderPathProblem('/media/usb0/b')).toBeUndefined();
    expect(outputFolderPathProblem('usb0/b')).toMatch(/relative path/);
  });
});
