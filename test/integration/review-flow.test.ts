import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustodyEvent } from '../../src/shared/api';
import { readManifest } from '../../src/main/bundle/manifest-io';
import { CustodyStore } from '../../src/main/custody/custody-store';
import { openDatabase } from '../../src/main/db/database';
import { IdentityStore } from '../../src/main/identity/identity-store';
import { withStation } from '../../src/main/identity/station';
import { signStatement, statementPath, STATEMENT_FORMAT, writeStatement } from '../../src/main/review/statement';
import { BUNDLE_ID, makeBundle } from '../unit/custody-fixtures';
import { ferry } from '../harness/ferry-cli';
import { tempDir } from '../harness/temp';

// Issue 7's acceptance, through the built CLI with two data dirs as two stations:
// low side creates (synthetic), reviews, writes media and seals; high side pins the
// reviewer, receives, imports custody and the bundle; refusals import nothing.
const PASS = 'correct horse battery staple';
const tmp = tempDir('ferry-review-');
const L = join(tmp.path, 'low');
const H = join(tmp.path, 'high');
const bundle = join(tmp.path, 'bundle');
const at = (dataDir: string) => ['--data-dir', dataDir, '--json'];
const as = (name: string) => ['--as', name, '--passphrase-stdin'];
const signed = { input: `${PASS}\n` };
const copies: Record<'pristine' | 'flipped' | 'unpinned' | 'self', string> = { pristine: '', flipped: '', unpinned: '', self: '' };

async function ok(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = await ferry(args, opts);
  expect(r.code, `ferry ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

beforeAll(async () => {
  for (const [dir, names] of [[L, [['olga', 'operator'], ['rita', 'reviewer'], ['ray', 'reviewer']]], [H, [['adam', 'admin']]]] as const) {
    for (const [name, role] of names) await ok(['identity', 'create', '--name', name, '--role', role, '--passphrase-stdin', ...at(dir)], signed);
  }
  await ok(['identity', 'station', '--name', 'transfer-1', '--location', 'Bldg 4 room 12', ...at(L)]);
  await ok(['identity', 'station', '--name', 'offline-1', '--location', 'Enclave B', ...as('adam'), ...at(H)], signed);
  // Creation: a hand-built bundle created and signed by olga, its resolved/created events written as bundle create does.
  const db = openDatabase(join(L, 'ferry.db'));
  const olga = new IdentityStore(db).unlock('olga', PASS);
  await makeBundle(bundle, olga);
  const custody = new CustodyStore(db, withStation(db, { actor: 'olga', station: 'x' }));
  custody.actAs({ ...custody.acting, actor: 'olga' }, { fingerprint: olga.fingerprint, sign: olga.sign });
  custody.append({ type: 'resolved', role: 'operator', bundleId: BUNDLE_ID, details: { models: [{ repo: 'org/m', requested: 'main', revision: 'a'.repeat(40) }] } });
  custody.append({ type: 'created', role: 'operator', bundleId: BUNDLE_ID, details: { dir: bundle, manifestSha256: (await readManifest(bundle)).sha256 } });
  db.close();
  copies.pristine = join(tmp.path, 'pristine');
  cpSync(bundle, copies.pristine, { recursive: true });
});
afterAll(() => tmp.cleanup());

describe('review, trust and custody across two stations', () => {
  it('a reviewer approves on the low side; the creator cannot', async () => {
    const refused = await ferry(['review', bundle, '--approve', '--reason', 'mine', ...as('olga'), ...at(L)], signed);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/olga is an operator/);
    const r = await ok(['review', bundle, '--approve', '--reason', 'digests match the change ticket', ...as('rita'), ...at(L)], signed);
    expect(r.json()).toMatchObject({ decision: 'approve', bundleId: BUNDLE_ID, custody: { signed: true } });
    expect(readdirSync(join(bundle, 'approvals'))).toHaveLength(2); // the statement and its in-toto/DSSE envelope
    // On a station with identities, acting needs one: --as NAME (or FERRY_AS); reading does not.
    const anonymous = await ferry(['verify', bundle, ...at(L)]);
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toMatch(/Sign in first/);
    expect(anonymous.stderr).toMatch(/--as NAME/);
    await ok(['verify', bundle, ...as('olga'), ...at(L)], signed); // approvals/ and custody/ are not "extra" files
    // Media written and sealed (synthetic steps, signed by the operator), then the log travels with the bundle.
    await ok(['custody', 'record', 'written', '--bundle', BUNDLE_ID, '--detail', 'serials=USB-0001,USB-0002', '--detail', 'fs=ext4', ...as('olga'), ...at(L)], signed);
    await ok(['custody', 'record', 'sealed', '--bundle', BUNDLE_ID, '--detail', 'seals=S-1001', ...as('olga'), ...at(L)], signed);
    expect((await ok(['custody', 'export', bundle, ...as('olga'), ...at(L)], signed)).json()).toMatchObject({ count: 6, signed: true });
  });

  it('pins the reviewer key on the offline station only after its fingerprint is confirmed', async () => {
    const pub = join(tmp.path, 'rita.pub');
    await ok(['identity', 'export-public', 'rita', '--out', pub, ...at(L)]);
    const fp = JSON.parse(readFileSync(pub, 'utf8')).fingerprint as string;
    const shown = await ferry(['trust', 'add', pub, ...at(H)]);
    expect(shown.code).toBe(2);
    expect(shown.stderr).toContain(fp);
    const wrong = await ferry(['trust', 'add', pub, '--confirm', `SHA256:${'ab12 '.repeat(16).trim()}`, ...as('adam'), ...at(H)], signed);
    expect(wrong.code).toBe(1);
    expect((await ferry(['trust', 'add', pub, '--confirm', fp, ...at(H)])).stderr).toMatch(/needs --as ADMIN/);
    await ok(['trust', 'add', pub, '--confirm', fp.toLowerCase(), ...as('adam'), ...at(H)], signed);
    expect((await ok(['trust', 'list', ...at(H)])).json()).toMatchObject([{ name: 'rita', role: 'reviewer' }]);
    expect((await ok(['trust', 'policy', ...at(H)])).json()).toMatchObject({ requireApprovals: true, requiredApprovals: 1 });
  });

  it('receives the media, continues the custody chain and imports the approved bundle', async () => {
    await ok(['custody', 'record', 'received', '--bundle', BUNDLE_ID, '--detail', 'sealIntact=yes', '--detail', 'seals=S-1001', ...as('adam'), ...at(H)], signed);
    const imp = await ok(['custody', 'import', bundle, ...as('adam'), ...at(H)], signed);
    expect(imp.json()).toMatchObject({ origin: { station: 'transfer-1', location: 'Bldg 4 room 12' }, added: 6, headSigned: true, headSigner: { name: 'olga', pinned: false } });
    expect((await ok(['trust', 'check', bundle, ...at(H)])).json()).toMatchObject({ ok: true, approvedBy: [{ name: 'rita' }] });
    const models = join(tmp.path, 'models-ok');
    const env = { FERRY_AS: 'adam', FERRY_PASSPHRASE: PASS };
    await ok(['import', bundle, '--models-dir', models, ...at(H)], { env });
    expect(readFileSync(join(models, 'org/m/config.json'), 'utf8')).toBe('{"a":1}');
    for (const d of [L, H]) expect((await ok(['custody', 'verify', ...at(d)])).json()).toMatchObject({ ok: true, imported: { ok: true } });
  });

  it.each([
    ['flipped', 'a flipped byte in the manifest', /statement for another manifest/],
    ['unpinned', 'an approval by an unpinned key', /unknown key .*ray.*not pinned/],
    ['self', 'an approval only by its creator', /creator self-approval/],
  ] as const)('refuses %s bundle (%s) and imports nothing', async (kind, _what, reason) => {
    const dir = join(tmp.path, kind);
    if (kind === 'flipped') {
      cpSync(bundle, dir, { recursive: true });
      const f = join(dir, 'manifest.json');
      writeFileSync(f, readFileSync(f, 'utf8').replace('2026-11-23T06:00', '2026-11-23T06:01'));
    } else if (kind === 'unpinned') {
      cpSync(copies.pristine, dir, { recursive: true });
      await ok(['review', dir, '--approve', '--reason', 'ok', ...as('ray'), ...at(L)], signed);
    } else {
      // Rita creates; a statement signed by her own key is forged around the CLI, which refuses it.
      const db = openDatabase(join(L, 'ferry.db'));
      const rita = new IdentityStore(db).unlock('rita', PASS);
      db.close();
      await makeBundle(dir, rita);
      expect((await ferry(['review', dir, '--approve', '--reason', 'mine', ...as('rita'), ...at(L)], signed)).stderr).toMatch(/two-person rule: rita created this bundle/);
      const { manifest, sha256 } = await readManifest(dir);
      const st = { format: STATEMENT_FORMAT, bundleId: manifest.bundleId, manifestSha256: sha256, decision: 'approve', reason: '', reviewer: { name: 'rita', fingerprint: rita.fingerprint, role: 'reviewer' }, station: 'transfer-1', at: new Date().toISOString() } as const;
      await writeStatement(dir, signStatement(st, rita), statementPath(st));
    }
    const models = join(tmp.path, `models-${kind}`);
    const r = await ferry(['import', dir, '--models-dir', models, ...at(H)], { env: { FERRY_AS: 'adam', FERRY_PASSPHRASE: PASS } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(reason);
    expect(r.stderr).toMatch(/Nothing was imported/);
    expect(existsSync(models)).toBe(false);
    const check = await ferry(['trust', 'check', dir, ...at(H)]);
    expect(check.code).toBe(1);
    expect(check.json<{ reasons: string[] }>().reasons.join('\n')).toMatch(reason);
  });

  it('reports every step from creation to import with actor, time and hashes (HTML, CSV, PDF)', async () => {
    const html = join(tmp.path, 'report.html');
    const csv = join(tmp.path, 'report.csv');
    const pdf = join(tmp.path, 'report.pdf');
    const args = ['report', BUNDLE_ID, '--html', html, '--csv', csv, '--bundle-dir', bundle, ...at(H)];
    const withPdf = existsSync('/usr/bin/chromium');
    const r = await ok(withPdf ? [...args, '--pdf', pdf] : args);
    expect(r.json()).toMatchObject({ chainOk: true });
    const page = readFileSync(html, 'utf8');
    const events = (await ok(['custody', 'log', '--bundle', BUNDLE_ID, ...at(H)])).json<CustodyEvent[]>();
    // The low side's events as exported with the bundle (later low-side events of copies are not on this station).
    const lowEvents = readFileSync(join(bundle, 'custody/events.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as CustodyEvent);
    const steps = ['resolved', 'created', 'approved', 'written', 'sealed', 'received', 'custody-imported', 'verified', 'approvals-verified', 'imported'];
    for (const s of steps) expect(page).toContain(`<b>${s}</b>`);
    for (const e of [...events, ...lowEvents]) {
      expect(page).toContain(e.hash);
      expect(page).toContain(e.at);
      expect(page).toContain(e.actor);
    }
    expect(page).toMatch(/USB-0001/);
    expect(page).toMatch(/S-1001/);
    expect(page).toMatch(/approved by rita \(1 of 1\)/);
    const rows = readFileSync(csv, 'utf8').trimEnd().split('\r\n');
    expect(rows[0]).toMatch(/^source,seq,event_id,at,type,actor,role/);
    expect(rows).toHaveLength(1 + events.length + lowEvents.length);
    if (withPdf) expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it.each([
    ['edited', "UPDATE custody_events SET actor = 'mallory' WHERE type = 'approved'", 'approved', /modified/],
    ['deleted', "DELETE FROM custody_events WHERE type = 'written'", 'sealed', /missing \(deleted\)/],
    ['reordered', "UPDATE custody_events SET seq = -seq WHERE type IN ('written', 'sealed'); UPDATE custody_events SET seq = (SELECT -seq FROM custody_events WHERE type = 'sealed') WHERE type = 'written'; UPDATE custody_events SET seq = (SELECT seq FROM custody_events WHERE type = 'written') - 1 WHERE type = 'sealed'", 'sealed', /reordered/],
  ] as const)('custody verify names the event when a row is %s in the database file', async (_kind, sql, named, reason) => {
    const dir = join(tmp.path, `tamper-${_kind}`);
    cpSync(L, dir, { recursive: true });
    const { default: Database } = await import('better-sqlite3');
    const raw = new Database(join(dir, 'ferry.db'));
    const target = raw.prepare('SELECT event_id FROM custody_events WHERE type = ?').get(named) as { event_id: string };
    raw.exec('DROP TRIGGER custody_events_no_update; DROP TRIGGER custody_events_no_delete;');
    raw.exec(sql);
    raw.close();
    const r = await ferry(['custody', 'verify', ...at(dir)]);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({ ok: false, eventId: target.event_id, reason: expect.stringMatching(reason) });
  });
});
