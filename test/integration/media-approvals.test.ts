import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustodyEvent } from '../../src/shared/api';
import { createdByOf, signCreation } from '../../src/main/bundle/creation';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { openDatabase } from '../../src/main/db/database';
import { IdentityStore } from '../../src/main/identity/identity-store';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import type { VolumeLabel } from '../../src/main/media/label';
import { ferry } from '../harness/ferry-cli';
import { tempDir } from '../harness/temp';

// A reviewed bundle's approvals/ and custody/ travel on media: the built CLI, two data dirs as
// two stations, folders as volumes. The offline station pins the reviewer, so its import gate
// requires an approval; volumes without it import nothing.
const PASS = 'correct horse battery staple';
const MiB = 1 << 20;
const tmp = tempDir('ferry-media-approvals-');
afterAll(() => tmp.cleanup());
const L = join(tmp.path, 'low');
const H = join(tmp.path, 'high');
const bundle = join(tmp.path, 'bundle');
const at = (dataDir: string) => ['--data-dir', dataDir, '--json'];
const as = (name: string) => ['--as', name, '--passphrase-stdin'];
const signed = { input: `${PASS}\n` };
const weights = randomBytes(5 * MiB);
let vols: string[] = [];
let statement = '';

/** Acting commands (verify, import, media write) run as the station's identity: olga on the low side, adam on the high side. */
const actor = (dataDir: string) => ({ env: { FERRY_AS: dataDir === H ? 'adam' : 'olga', FERRY_PASSPHRASE: PASS } });

async function ok(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = await ferry(args, opts);
  expect(r.code, `ferry ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

async function makeBundle(dir: string): Promise<void> {
  const db = openDatabase(join(L, 'ferry.db'));
  const olga = new IdentityStore(db).unlock('olga', PASS);
  db.close();
  mkdirSync(join(dir, 'models/org--m'), { recursive: true });
  const files = { 'config.json': Buffer.from('{"a":1}'), 'model.safetensors': weights };
  const list = Object.entries(files).map(([path, b]) => {
    writeFileSync(join(dir, 'models/org--m', path), b);
    return { path, size: b.length, sha256: createHash('sha256').update(b).digest('hex') };
  });
  const m: BundleManifest = {
    format: BUNDLE_FORMAT, bundleId: '5b1d3f7a-9c2e-4a6b-8d0f-1e2a3b4c5d6e', createdAt: '2026-11-23T06:00:00.000+00:00', createdBy: createdByOf(olga, 'transfer-1'), tool: { name: 'ferry', version: '0.1.0' },
    artifacts: [{ kind: 'model', name: 'org/m', source: 'http://127.0.0.1/org/m', hubUrl: 'http://127.0.0.1', repo: 'org/m', requestedRevision: 'main', revision: 'd'.repeat(40), dir: 'models/org--m', size: weights.length + 7, files: list }],
    files: list.map((f) => ({ ...f, path: `models/org--m/${f.path}` })),
  };
  await writeManifest(dir, signCreation(m, olga)); // created and signed by olga, as bundle create --as olga does
}

/** A copy of the written volumes, shuffled, to tamper with. */
function copyVolumes(name: string): string[] {
  return [...vols].reverse().map((v, i) => {
    const d = join(tmp.path, name, `v${i}`);
    cpSync(v, d, { recursive: true });
    return d;
  });
}

const importInto = (dirs: string[], models: string) => ferry(['import', ...dirs, '--models-dir', models, '--data-dir', H], actor(H));

beforeAll(async () => {
  for (const [dir, names] of [[L, [['olga', 'operator'], ['rita', 'reviewer']]], [H, [['adam', 'admin']]]] as const) {
    for (const [name, role] of names) await ok(['identity', 'create', '--name', name, '--role', role, '--passphrase-stdin', ...at(dir)], signed);
  }
  await ok(['identity', 'station', '--name', 'transfer-1', '--location', 'Bldg 4', ...at(L)]);
  await makeBundle(bundle);
  await ok(['review', bundle, '--approve', '--reason', 'digests match the change ticket', ...as('rita'), ...at(L)], signed);
  await ok(['custody', 'export', bundle, ...as('olga'), ...at(L)], signed);
  statement = `approvals/${readdirSync(join(bundle, 'approvals')).find((n) => !n.endsWith('.intoto.json'))}`;
  const pub = join(tmp.path, 'rita.pub');
  await ok(['identity', 'export-public', 'rita', '--out', pub, ...at(L)]);
  await ok(['trust', 'add', pub, '--confirm', JSON.parse(readFileSync(pub, 'utf8')).fingerprint as string, ...as('adam'), ...at(H)], signed);
  vols = [1, 2, 3, 4].map((i) => join(tmp.path, `vol${i}`));
  for (const v of vols) mkdirSync(v);
  await ok(['media', 'write', bundle, '--no-kit', ...vols.flatMap((v) => ['--to', v]), '--volume-size', '3MiB', '--fs', 'fat32', ...at(L)], actor(L));
  vols = vols.filter((v) => existsSync(join(v, 'FERRY-VOLUME.json')));
}, 120_000);

describe('approvals and the custody log on media', () => {
  it('every volume carries approvals/ and custody/, listed in its label', () => {
    expect(vols.length).toBeGreaterThanOrEqual(2);
    for (const v of vols) {
      const label = JSON.parse(readFileSync(join(v, 'FERRY-VOLUME.json'), 'utf8')) as VolumeLabel;
      const envelope = statement.replace(/\.json$/, '.intoto.json'); // the same approval as in-toto/DSSE
      expect(label.sidecars!.map((s) => s.path)).toEqual([envelope, statement, 'custody/events.jsonl', 'custody/head.intoto.json', 'custody/head.json']);
      for (const s of label.sidecars!) expect(readFileSync(join(v, s.path)).equals(readFileSync(join(bundle, s.path)))).toBe(true);
    }
  });

  it('imports from shuffled volumes on a station that requires approvals; the assembled bundle carries the custody log', async () => {
    const shuffled = [...vols].reverse();
    await ok(['verify', ...shuffled, ...at(H)], actor(H));
    const models = join(tmp.path, 'models-ok');
    await ok(['import', ...shuffled, '--models-dir', models, ...at(H)], actor(H));
    expect(readFileSync(join(models, 'org/m/model.safetensors')).equals(weights)).toBe(true);
    const events = (await ok(['custody', 'log', ...at(H)])).json<CustodyEvent[]>();
    expect(events.find((e) => e.type === 'approvals-verified')?.details.approvedBy).toEqual([expect.objectContaining({ name: 'rita' })]);
    const out = join(tmp.path, 'assembled');
    await ok(['media', 'assemble', ...shuffled, '--out', out, ...at(H)], actor(H));
    expect(readFileSync(join(out, 'custody/head.json')).equals(readFileSync(join(bundle, 'custody/head.json')))).toBe(true);
    expect((await ok(['custody', 'import', out, ...as('adam'), ...at(H)], signed)).json()).toMatchObject({ headSigned: true });
  });

  it('refuses volumes whose approvals file was deleted from every volume, and imports nothing', async () => {
    const dirs = copyVolumes('deleted');
    for (const d of dirs) unlinkSync(join(d, statement));
    const r = await importInto(dirs, join(tmp.path, 'models-deleted'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`volume 1 of \\d .*${statement} is missing`));
    expect(existsSync(join(tmp.path, 'models-deleted'))).toBe(false);
  });

  it('refuses volumes stripped of the approvals file and of its label entries: the approval gate', async () => {
    const dirs = copyVolumes('stripped');
    const stripped = [statement, statement.replace(/\.json$/, '.intoto.json')]; // the approval and its in-toto/DSSE copy
    for (const d of dirs) {
      for (const f of stripped) unlinkSync(join(d, f));
      const label = JSON.parse(readFileSync(join(d, 'FERRY-VOLUME.json'), 'utf8')) as VolumeLabel;
      writeFileSync(join(d, 'FERRY-VOLUME.json'), JSON.stringify({ ...label, sidecars: label.sidecars!.filter((s) => !stripped.includes(s.path)) }));
    }
    await ok(['verify', ...dirs, ...at(H)], actor(H)); // consistent volumes, the bundle itself is intact
    const r = await importInto(dirs, join(tmp.path, 'models-stripped'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not approved for import on this station.*Nothing was imported/);
    expect(existsSync(join(tmp.path, 'models-stripped'))).toBe(false);
  });

  it('names the volume of a tampered approvals file, and imports nothing', async () => {
    const dirs = copyVolumes('tampered');
    const file = join(dirs[1]!, statement);
    const b = readFileSync(file);
    b[b.indexOf('digests')] = 'D'.charCodeAt(0);
    writeFileSync(file, b);
    const label = JSON.parse(readFileSync(join(dirs[1]!, 'FERRY-VOLUME.json'), 'utf8')) as VolumeLabel;
    const name = new RegExp(`mismatch +volume ${label.volume.index} of \\d \\(${dirs[1]}\\)  ${statement}: sha256`);
    const v = await ferry(['verify', ...dirs, '--data-dir', H], actor(H));
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(name);
    const r = await importInto(dirs, join(tmp.path, 'models-tampered'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`volume ${label.volume.index} of \\d \\(${dirs[1]}\\): ${statement} does not match its label`));
    expect(existsSync(join(tmp.path, 'models-tampered'))).toBe(false);
  });
});
