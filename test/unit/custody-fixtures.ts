import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createdByOf, signCreation, type Creator } from '../../src/main/bundle/creation';
import { readManifest, writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import { CustodyStore } from '../../src/main/custody/custody-store';
import { openDatabase, type Db } from '../../src/main/db/database';
import { IdentityStore } from '../../src/main/identity/identity-store';
import type { Role } from '../../src/main/identity/keys';
import { TrustStore } from '../../src/main/identity/trust-store';
import { tempDir } from '../harness/temp';

/** Unit tests use a cheaper scrypt cost; the CLI and the integration tests use the real one. */
export const FAST_KDF = { N: 2 ** 14, r: 8, p: 1 };
export const PASS = 'correct horse battery staple';

export interface Station {
  dir: string;
  file: string;
  db: Db;
  custody: CustodyStore;
  ids: IdentityStore;
  trust: TrustStore;
  close(): void;
}

/** A station: its own SQLite file, custody log, identities and trust store. */
export function station(root: string, name: string): Station {
  const dir = join(root, name);
  const file = join(dir, 'ferry.db');
  const db = openDatabase(file);
  return {
    dir,
    file,
    db,
    custody: new CustodyStore(db, { actor: `${name}-os-user`, station: name }),
    ids: new IdentityStore(db, FAST_KDF),
    trust: new TrustStore(db),
    close: () => db.close(),
  };
}

export function signerOf(s: Station, name: string) {
  const acting = s.ids.unlock(name, PASS);
  s.custody.actAs({ ...s.custody.acting, actor: acting.name }, { fingerprint: acting.fingerprint, sign: acting.sign });
  return acting;
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
export const BUNDLE_ID = '6f1c1f0e-2d5b-4a53-9a53-1f6f0e6b7c11';

/**
 * A model-only bundle written by hand, like test/unit/verify.test.ts does. Pass an unlocked
 * identity (a Creator) to have it create and sign the bundle as `ferry bundle create --as` would;
 * a plain createdBy makes an unsigned bundle (which no one can approve).
 */
export async function makeBundle(dir: string, createdBy: BundleManifest['createdBy'] | Creator = { actor: 'op', station: 'low' }, extra: Record<string, unknown> = {}): Promise<string> {
  const files = { 'config.json': Buffer.from('{"a":1}'), 'weights.safetensors': Buffer.alloc(4096, 7) };
  mkdirSync(join(dir, 'models/org--m'), { recursive: true });
  for (const [p, b] of Object.entries(files)) writeFileSync(join(dir, 'models/org--m', p), b);
  const list = Object.entries(files).map(([path, b]) => ({ path, size: b.length, sha256: sha(b) }));
  const manifest = {
    format: BUNDLE_FORMAT,
    bundleId: BUNDLE_ID,
    createdAt: '2026-11-23T06:00:00.000+00:00',
    createdBy: 'sign' in createdBy ? createdByOf(createdBy, 'low', { osUser: 'op', host: 'low-host' }) : createdBy,
    tool: { name: 'ferry', version: '0.1.0' },
    artifacts: [{ kind: 'model', name: 'org/m', source: 'http://127.0.0.1/org/m', hubUrl: 'http://127.0.0.1', repo: 'org/m', requestedRevision: 'main', revision: 'a'.repeat(40), dir: 'models/org--m', size: 4103, files: list }],
    files: list.map((f) => ({ ...f, path: `models/org--m/${f.path}` })),
    ...extra,
  } as BundleManifest;
  await writeManifest(dir, 'sign' in createdBy ? signCreation(manifest, createdBy) : manifest);
  return dir;
}

export function temp(): ReturnType<typeof tempDir> {
  return tempDir('ferry-custody-');
}

/** The two sides of a review test: a connected station `low` with these identities, and an offline station `high`. */
export function lowAndHigh(root: string, people: readonly (readonly [string, Role])[]): { low: Station; high: Station } {
  const low = station(root, 'low');
  const high = station(root, 'high');
  for (const [n, r] of people) low.ids.create(n, r, PASS);
  return { low, high };
}

/** A bundle created and signed on `s` by `creator`, with the "created" custody event `ferry bundle create` records. */
export async function createdBundle(s: Station, dir: string, creator: string, make: (dir: string, by: Creator) => Promise<string> = makeBundle): Promise<string> {
  await make(dir, s.ids.unlock(creator, PASS));
  s.custody.append({ type: 'created', role: 'operator', bundleId: (await readManifest(dir)).manifest.bundleId });
  return dir;
}
