import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireOmissions, deltaRecord, planDelta } from '../../src/main/delta/delta-plan';
import { inventoryFileBytes, inventorySignatureProblem, readTrustedInventory, signInventory } from '../../src/main/delta/inventory-sign';
import { INVENTORY_FORMAT, type Inventory } from '../../src/main/delta/inventory-schema';
import type { ActingIdentity } from '../../src/main/identity/identity-store';
import { generateKeyPair, privateKeyObject, signWith } from '../../src/main/identity/keys';
import type { TrustedKey } from '../../src/main/identity/trust-store';
import type { LockImage, LockModel } from '../../src/main/recipes/lock-schema';
import { tempDir } from '../harness/temp';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const hex = (c: string): string => c.repeat(64);

function actor(name = 'offline-admin'): ActingIdentity {
  const kp = generateKeyPair();
  const key = privateKeyObject(kp.privateDer);
  return { name, role: 'admin', publicKey: kp.publicKey, fingerprint: kp.fingerprint, createdAt: '2025-01-01T00:00:00Z', sign: (ctx, msg) => signWith(key, ctx, msg) };
}

function image(id: string, repo: string, config: string, layers: [string, number][], target?: string): LockImage {
  return {
    id, source: `upstream.test/${repo}:1`, from: 'registry', registry: 'upstream.test', repository: repo, tag: '1', ...(target ? { target } : {}),
    digest: d('f'), mediaType: 'application/vnd.oci.image.manifest.v1+json', platform: 'linux/amd64', manifest: '',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d(config), size: 100 },
    layers: layers.map(([c, size]) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d(c), size })), size: 0,
  };
}

function inventory(signerOf: ActingIdentity): Inventory {
  return {
    format: INVENTORY_FORMAT, station: 'offline-1', createdAt: '2025-01-01T00:00:00Z', registry: '127.0.0.1:5000/duo',
    repositories: [
      { name: 'duo/other', tags: [{ tag: 'x', digest: d('e') }], manifests: [{ digest: d('e'), mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: d('9'), size: 50 }, layers: [{ digest: d('a'), size: 1000 }] }] },
      { name: 'duo/app', tags: [{ tag: '1', digest: d('d') }], manifests: [{ digest: d('d'), mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: d('c'), size: 100 }, layers: [{ digest: d('a'), size: 1000 }, { digest: d('b'), size: 7 }] }] },
    ],
    models: [{ repo: 'acme/tiny', files: [{ path: 'config.json', size: 10, sha256: hex('1') }, { path: 'model.safetensors', size: 5000, sha256: hex('2') }] }],
    signer: { name: signerOf.name, role: signerOf.role, fingerprint: signerOf.fingerprint },
  };
}

const model: LockModel = {
  id: 'tiny', from: 'hub', hubUrl: 'http://127.0.0.1:1', repo: 'acme/tiny', requestedRevision: 'main', revision: '0'.repeat(40), size: 5020,
  files: [
    { path: 'config.json', size: 10, sha256: hex('1') },
    { path: 'model.safetensors', size: 5000, sha256: hex('3') }, // changed weights: carried
    { path: 'README.md', size: 10, gitOid: '0'.repeat(40) }, // no sha256 known: carried
  ],
};

describe('planDelta', () => {
  const who = actor();
  const inv = inventory(who);

  it('leaves out config and layer blobs the inventory holds with the same size, naming the matching repository', () => {
    // v2 shares layer a, has a new config (8) and a new top layer (6); layer b listed with another size stays.
    const lock = { images: [image('app', 'org/app', '8', [['a', 1000], ['6', 300], ['b', 8]])], models: [] };
    const p = planDelta(lock, inv, hex('7'));
    expect(p.omitted).toEqual([{ digest: d('a'), size: 1000, repository: 'duo/app' }]);
    expect([...p.omitBlobs]).toEqual([d('a')]);
    expect(p.station).toBe('offline-1');
  });

  it('omits a blob shared by two images once, and never the manifest itself', () => {
    const lock = { images: [image('one', 'org/one', 'c', [['a', 1000]]), image('two', 'org/two', '8', [['a', 1000]])], models: [] };
    const p = planDelta(lock, inv, hex('7'));
    expect(p.omitted.map((o) => o.digest)).toEqual([d('c'), d('a')]);
    expect(p.omitBlobs.has(d('f'))).toBe(false);
  });

  it('keeps every blob of an image a derived image is built from', () => {
    const lock = {
      images: [image('base', 'org/app', 'c', [['a', 1000]])],
      models: [],
      derived: [{ id: 'exec', from: 'base', baseSource: 'x', target: 'exec', npm: { package: 'p', version: '1', registry: 'r', tarball: 't', integrity: 'sha512-AA==', size: 1 } }],
    };
    expect(planDelta(lock, inv, hex('7')).omitted).toEqual([]);
  });

  it('leaves out model files present under the same repo and path with the same sha256 only', () => {
    const p = planDelta({ images: [], models: [model] }, inv, hex('7'));
    expect(p.omittedModelFiles).toEqual([{ repo: 'acme/tiny', path: 'config.json', size: 10, sha256: hex('1') }]);
    expect(acquireOmissions(p).modelSha256.get('acme/tiny\0config.json')).toBe(hex('1'));
    const rec = deltaRecord(p, inv, 5010);
    expect(rec).toMatchObject({ bytes: 5010, fullBytes: 5020, signer: { name: 'offline-admin', fingerprint: who.fingerprint }, inventorySha256: hex('7') });
  });
});

describe('inventory signatures', () => {
  const tmp = tempDir('ferry-inventory-');
  afterAll(() => tmp.cleanup());
  const who = actor();
  const pinned = (k: ActingIdentity, extra: Partial<TrustedKey> = {}) => (fp: string): TrustedKey | undefined =>
    fp === k.fingerprint ? { fingerprint: k.fingerprint, name: k.name, role: k.role, publicKey: k.publicKey, pinnedAt: 'now', pinnedBy: 'admin', ...extra } : undefined;

  it('accepts an untouched inventory signed by a pinned key', async () => {
    const file = join(tmp.path, 'good.json');
    writeFileSync(file, inventoryFileBytes(signInventory(inventory(who), who)));
    const read = await readTrustedInventory(file, pinned(who));
    expect(read.signed.inventory.station).toBe('offline-1');
    expect(read.sha256).toMatch(/^[a-f0-9]{64}$/);
  });

  it('refuses one edited digest as a bad signature', async () => {
    const signed = signInventory(inventory(who), who);
    signed.inventory.repositories[1]!.manifests[0]!.layers[0]!.digest = d('5');
    expect(inventorySignatureProblem(signed, pinned(who))).toMatch(/^bad signature: the signature does not verify/);
    const file = join(tmp.path, 'tampered.json');
    writeFileSync(file, inventoryFileBytes(signed));
    await expect(readTrustedInventory(file, pinned(who))).rejects.toThrow(/tampered\.json refused: bad signature.*nothing was bundled/);
  });

  it('refuses an unpinned or revoked signer, and a key swapped in for the signer', () => {
    const signed = signInventory(inventory(who), who);
    expect(inventorySignatureProblem(signed, () => undefined)).toMatch(/signed by offline-admin \(SHA256:.*\), whose key is not pinned on this station/);
    expect(inventorySignatureProblem(signed, pinned(who, { revokedAt: '2025-02-02' }))).toMatch(/revoked on 2025-02-02/);
    const other = actor('mallory');
    const forged = { ...signInventory({ ...inventory(who), signer: { name: 'offline-admin', role: 'admin', fingerprint: other.fingerprint } }, other) };
    expect(inventorySignatureProblem(forged, pinned(who))).toMatch(/not pinned/);
    const swapped = { ...signed, publicKey: other.publicKey };
    expect(inventorySignatureProblem(swapped, pinned(who))).toMatch(/^bad signature: the enclosed key is not the fingerprint/);
  });

  it('refuses a file that is not an inventory, naming the field', async () => {
    const file = join(tmp.path, 'bad.json');
    writeFileSync(file, JSON.stringify({ inventory: { format: 'nope' }, publicKey: '', signature: '' }));
    await expect(readTrustedInventory(file, pinned(who))).rejects.toThrow(/bad\.json is not a Ferry inventory \(field inventory\.format/);
  });
});
