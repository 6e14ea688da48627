import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportResult, VerifyResult } from '../../src/shared/api';
import { walk } from '../../src/main/bundle/walk';
import { RegistryClient } from '../../src/main/registry/registry-client';
import { ferry } from '../harness/ferry-cli';
import { startRegistry, type TestRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { makeLayerTar, pushTestImages, writeOciImage, type TestImage } from '../harness/test-images';

// Delta bundles through the built CLI: full v1 → offline registry; signed inventory of it;
// a v2 delta that leaves the shared 24 MiB base layer out, verified and imported completely;
// refused into an empty registry and with a tampered inventory.
const tmp = tempDir('ferry-delta-');
const offline = join(tmp.path, 'offline-data');
const connected = join(tmp.path, 'connected-data');
const creds = { username: 'ferry', password: 'correct horse battery staple' };
const passphrase = 'offline admin passphrase';
let source: TestRegistry;
let internal: TestRegistry;
let empty: TestRegistry;
let v1: TestImage;
let v2: TestImage;
let refs: { ref: string; digest: string }[];

const on = (dataDir: string) => ['--data-dir', dataDir, '--json'];
const internalArgs = (prefix: string) => ['--registry', `${internal.host}/${prefix}`, '--ca', internal.caFile!, '--username', creds.username, '--password-stdin'];
const refOf = (img: TestImage) => refs.find((r) => r.digest === img.manifestDigest)!.ref;
const bundleBytes = async (dir: string) => (await walk(dir)).reduce((n, e) => n + e.size, 0);
const client = (r: TestRegistry, auth = true) => new RegistryClient({ registry: r.host, caFile: r.caFile, ...(auth ? { credentials: creds } : {}) });

beforeAll(async () => {
  [source, internal, empty] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: creds }), startRegistry()]);
  const layout = join(tmp.path, 'src-layout');
  const base = await makeLayerTar([{ path: 'opt/base.bin', content: randomBytes(24 << 20) }]);
  const top = async (v: string) => makeLayerTar([{ path: 'opt/app.txt', content: `app version ${v}\n` }]);
  v1 = writeOciImage(layout, { name: 'app:1', layers: [base, await top('1')], cmd: ['/opt/app'] });
  v2 = writeOciImage(layout, { name: 'app:2', layers: [base, await top('2')], cmd: ['/opt/app'] });
  refs = await pushTestImages(layout, source.host, 'test');
  const id = await ferry(['identity', 'create', '--name', 'offline-admin', '--role', 'admin', '--passphrase-stdin', ...on(offline)], { input: passphrase });
  expect(id.code, id.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([source?.stop(), internal?.stop(), empty?.stop()]);
  tmp.cleanup();
});

/** The offline station has an identity, so its imports run as it (--as, or FERRY_AS for automation). */
const asAdmin = (): NodeJS.ProcessEnv => ({ FERRY_AS: 'offline-admin', FERRY_PASSPHRASE: passphrase });

describe('delta bundles from a signed offline inventory', () => {
  const inventory = join(tmp.path, 'inventory.json');
  const delta = join(tmp.path, 'delta-v2');
  const full2 = join(tmp.path, 'full-v2');

  it('imports full v1 offline, exports a signed inventory of the registry, and pins its key on the connected side', async () => {
    const full1 = join(tmp.path, 'full-v1');
    const created = await ferry(['bundle', 'create', '--image', refOf(v1), '--out', full1, ...on(connected)]);
    expect(created.code, created.stderr).toBe(0);
    const imported = await ferry(['import', full1, ...internalArgs('duo'), ...on(offline)], { input: creds.password, env: asAdmin() });
    expect(imported.code, imported.stderr).toBe(0);

    const env = { FERRY_AS: 'offline-admin', FERRY_PASSPHRASE: passphrase };
    const exported = await ferry(['inventory', 'export', ...internalArgs('duo'), '--out', inventory, ...on(offline)], { input: creds.password, env });
    expect(exported.code, exported.stderr).toBe(0);
    const inv = JSON.parse(readFileSync(inventory, 'utf8'));
    const repo = inv.inventory.repositories.find((r: { name: string }) => r.name === 'duo/app');
    expect(repo.tags).toEqual([{ tag: '1', digest: v1.manifestDigest }]);
    expect(repo.manifests[0].layers.map((l: { digest: string }) => l.digest)).toEqual(v1.layers);
    expect(inv.inventory.signer.name).toBe('offline-admin');

    const key = join(tmp.path, 'offline-admin.pub.json');
    expect((await ferry(['identity', 'export-public', 'offline-admin', '--out', key, ...on(offline)])).code).toBe(0);
    const unpinned = await ferry(['bundle', 'create', '--image', refOf(v2), '--inventory', inventory, '--out', join(tmp.path, 'unpinned'), ...on(connected)]);
    expect(unpinned.code).toBe(1);
    expect(unpinned.stderr).toMatch(/whose key is not pinned on this station/);
    const fp = JSON.parse(readFileSync(key, 'utf8')).fingerprint;
    const pinned = await ferry(['trust', 'add', key, '--confirm', fp, ...on(connected)]);
    expect(pinned.code, pinned.stderr).toBe(0);
  });

  it('refuses a tampered inventory (one digest edited) at bundle create, naming the bad signature', async () => {
    const inv = JSON.parse(readFileSync(inventory, 'utf8'));
    inv.inventory.repositories[0].manifests[0].layers[1].digest = `sha256:${'0'.repeat(64)}`;
    const tampered = join(tmp.path, 'tampered.json');
    writeFileSync(tampered, JSON.stringify(inv));
    const out = join(tmp.path, 'from-tampered');
    const r = await ferry(['bundle', 'create', '--image', refOf(v2), '--inventory', tampered, '--out', out, ...on(connected)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tampered\.json refused: bad signature: the signature does not verify/);
    expect(existsSync(out) || existsSync(`${out}.partial`)).toBe(false);
  });

  it('makes a v2 delta that is under 10% of the full v2 bundle, records the omissions, and verifies', async () => {
    const made = await ferry(['bundle', 'create', '--image', refOf(v2), '--inventory', inventory, '--out', delta, ...on(connected)]);
    expect(made.code, made.stderr).toBe(0);
    expect((await ferry(['bundle', 'create', '--image', refOf(v2), '--out', full2, ...on(connected)])).code).toBe(0);
    const [deltaSize, fullSize] = [await bundleBytes(delta), await bundleBytes(full2)];
    expect(deltaSize / fullSize).toBeLessThan(0.1);

    const manifest = JSON.parse(readFileSync(join(delta, 'manifest.json'), 'utf8'));
    expect(manifest.delta.omitted).toEqual([expect.objectContaining({ digest: v2.layers[0], repository: 'duo/app' })]);
    expect(manifest.delta.fullBytes).toBeGreaterThan(24 << 20);
    expect(manifest.delta.bytes).toBeLessThan(manifest.delta.fullBytes / 10);
    expect(existsSync(join(delta, 'images/blobs/sha256', v2.layers[0]!.slice(7)))).toBe(false);
    expect(made.json<{ delta: { fullBytes: number } }>().delta.fullBytes).toBe(manifest.delta.fullBytes);
    const human = await ferry(['bundle', 'create', '--image', refOf(v2), '--inventory', inventory, '--out', join(tmp.path, 'delta-human'), '--data-dir', connected]);
    expect(human.stdout).toMatch(/delta against .*carried of .* full/);

    const verified = await ferry(['verify', delta, ...on(connected)]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json<VerifyResult>()).toMatchObject({ ok: true, problems: [] });
    // Only what the delta records as omitted may be absent: the new top layer is still required.
    const top = join(delta, 'images/blobs/sha256', v2.layers[1]!.slice(7));
    renameSync(top, join(tmp.path, 'top-layer.away'));
    try {
      const broken = await ferry(['verify', delta, ...on(connected)]);
      expect(broken.code).toBe(1);
      expect(broken.json<VerifyResult>().problems).toEqual([expect.objectContaining({ kind: 'missing', path: `images/blobs/sha256/${v2.layers[1]!.slice(7)}` })]);
    } finally {
      renameSync(join(tmp.path, 'top-layer.away'), top);
    }
  });

  it('refuses the delta into an EMPTY registry, naming the missing base-layer digest, and pushes nothing', async () => {
    const r = await ferry(['import', delta, '--registry', `${empty.host}/duo`, ...on(offline)], { env: asAdmin() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(v2.layers[0]);
    expect(r.stderr).toMatch(/duo\/app.*nothing was pushed/);
    const c = client(empty, false);
    try {
      expect(await c.listRepositories()).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('imports the delta completely: the registry serves v2 with its original manifest digest', async () => {
    const r = await ferry(['import', delta, ...internalArgs('duo'), ...on(offline)], { input: creds.password, env: asAdmin() });
    expect(r.code, r.stderr).toBe(0);
    const pushed = r.json<ImportResult>().registry[0]!;
    expect(pushed).toMatchObject({ digest: v2.manifestDigest, blobsUploaded: 2, blobsSkipped: 1 });
    // Into another repository of the same registry: the base layer is mounted from duo/app.
    const mirrored = await ferry(['import', delta, ...internalArgs('mirror'), ...on(offline)], { input: creds.password, env: asAdmin() });
    expect(mirrored.code, mirrored.stderr).toBe(0);
    const c = client(internal);
    try {
      for (const repo of ['duo/app', 'mirror/app']) {
        expect((await c.getManifest(repo, '2')).digest).toBe(v2.manifestDigest);
        for (const d of [v2.configDigest, ...v2.layers]) expect(await c.blobExists(repo, d)).toBe(true);
      }
    } finally {
      await c.close();
    }
  });
});
