import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CustodyEvent, ImportRequest } from '../../src/shared/api';
import { importBundle } from '../../src/main/bundle/import';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import { CustodyStore } from '../../src/main/custody/custody-store';
import { openDatabase } from '../../src/main/db/database';
import { deliveryReads, TAMPER_HOOK_ENV } from '../../src/main/deliver/verifying-stream';
import { HashPool } from '../../src/main/hash/hash-pool';
import type { Progress } from '../../src/main/jobs/progress';
import { startDockerd, type TestDockerd } from '../harness/dockerd';
import { startRegistry, type TestRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { makeLayerTar, writeOciImage } from '../harness/test-images';

// `ferry import` delivers each bundle file in one read, proven while it streams (src/main/deliver/):
// against a real registry and a real Docker engine, a clean import delivers everything reading each
// file exactly once per target; a blob or a model file changed on the medium AFTER the import began
// (the FERRY_TEST_TAMPER_DURING_READ hook flips the file's last byte once its first 4 KiB were read)
// makes nothing of it visible, and custody records exactly what had been delivered. Loopback only.

const REG = 'example.test';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const tmp = tempDir('ferry-deliver-');
const pool = new HashPool(2);
let registry: TestRegistry;
let engine: TestDockerd;

beforeAll(async () => {
  [registry, engine] = await Promise.all([startRegistry(), startDockerd()]);
});
afterAll(async () => {
  await Promise.allSettled([registry?.stop(), engine?.stop(), pool.close()]);
  tmp.cleanup();
});
afterEach(() => {
  delete process.env[TAMPER_HOOK_ENV];
  deliveryReads.enabled = false;
  deliveryReads.bytes.clear();
});

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function listFiles(root: string, rel = ''): string[] {
  return readdirSync(join(root, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(root, p) : [p];
  });
}

interface Made {
  dir: string;
  manifest: BundleManifest;
  images: { repo: string; manifestDigest: string; configDigest: string; layers: string[] }[];
}

/** A bundle of images (one random layer each, plus a shared one) and, optionally, a model org/m. */
async function makeBundle(name: string, repos: string[], model?: Record<string, Buffer>): Promise<Made> {
  const dir = join(tmp.path, name);
  const shared = await makeLayerTar([{ path: 'shared.bin', content: randomBytes(64 << 10) }]);
  const images = [];
  for (const repo of repos) {
    const own = await makeLayerTar([{ path: `${repo.replace(/\W/g, '-')}.bin`, content: randomBytes(300_000) }]);
    const img = writeOciImage(join(dir, 'images'), { name: `${REG}/${repo}:1`, layers: [shared, own], cmd: ['/x'] });
    images.push({ repo, manifestDigest: img.manifestDigest, configDigest: img.configDigest, layers: img.layers });
  }
  if (model) {
    mkdirSync(join(dir, 'models/org--m'), { recursive: true });
    for (const [p, b] of Object.entries(model)) writeFileSync(join(dir, 'models/org--m', p), b);
  }
  const files = listFiles(dir).sort().map((path) => {
    const b = readFileSync(join(dir, path));
    return { path, size: b.length, sha256: sha(b) };
  });
  const blobSize = (d: string): number => statSync(join(dir, 'images/blobs/sha256', d.slice(7))).size;
  const artifacts: BundleManifest['artifacts'] = images.map((i) => ({
    kind: 'image',
    name: `${REG}/${i.repo}:1`,
    source: `${REG}/${i.repo}:1`,
    registry: REG,
    repository: i.repo,
    tag: '1',
    digest: i.manifestDigest,
    mediaType: OCI_MANIFEST,
    platform: 'linux/amd64',
    size: [i.configDigest, ...i.layers].reduce((n, d) => n + blobSize(d), 0),
    config: i.configDigest,
    layers: i.layers,
  }));
  if (model) {
    const list = Object.entries(model).map(([path, b]) => ({ path, size: b.length, sha256: sha(b) }));
    artifacts.push({ kind: 'model', name: 'org/m', source: 'http://127.0.0.1/org/m', hubUrl: 'http://127.0.0.1', repo: 'org/m', requestedRevision: 'main', revision: 'a'.repeat(40), dir: 'models/org--m', size: list.reduce((n, f) => n + f.size, 0), files: list });
  }
  const manifest: BundleManifest = { format: BUNDLE_FORMAT, bundleId: randomUUID(), createdAt: '2026-12-02T12:00:00.000+00:00', createdBy: { actor: 'op', station: 's' }, tool: { name: 'ferry', version: '0.1.0' }, artifacts, files };
  await writeManifest(dir, manifest);
  return { dir, manifest, images };
}

function station(name: string): CustodyStore {
  const data = join(tmp.path, `${name}-data`);
  mkdirSync(data, { recursive: true });
  return new CustodyStore(openDatabase(join(data, 'ferry.db')), { actor: 'admin.ann', station: 'offline-1' });
}

const progress = (): Progress => ({ signal: new AbortController().signal, phase: () => undefined, item: () => undefined, itemState: () => undefined, advance: () => undefined });

const imported = (custody: CustodyStore): CustodyEvent[] => custody.list({ limit: 100 }).filter((e) => e.type === 'imported');

async function manifestStatus(repo: string): Promise<number> {
  const res = await fetch(`http://${registry.host}/v2/${repo}/manifests/1`, { headers: { accept: OCI_MANIFEST } });
  await res.arrayBuffer();
  return res.status;
}

const dockerHost = (): string => `unix://${engine.socketPath}`;
const blobRel = (d: string): string => `images/blobs/sha256/${d.slice(7)}`;
const inspectStatus = (ref: string): Promise<number> =>
  engine.docker
    .getImage(ref)
    .inspect()
    .then(() => 200)
    .catch((err: { statusCode?: number }) => err.statusCode ?? 0);

describe('ferry import: one read per file, proven while it streams', () => {
  it('a clean import pushes, loads and places everything, reading each file once per target and naming what it skipped', async () => {
    const weights = randomBytes(200_000);
    const b = await makeBundle('clean', ['clean/app', 'clean/tool'], { 'config.json': Buffer.from('{"model_type":"mistral"}'), 'weights.safetensors': weights });
    const custody = station('clean');
    const models = join(tmp.path, 'clean-models');
    deliveryReads.enabled = true;
    const req: ImportRequest = { dir: b.dir, registry: `${registry.host}/deliver`, insecureRegistries: [registry.host], docker: true, dockerHost: dockerHost(), modelsDir: models };
    const r = await importBundle(req, { custody, pool }, progress());

    expect(r.registry.map((i) => i.digest)).toEqual(b.images.map((i) => i.manifestDigest));
    for (const i of b.images) expect(await manifestStatus(`deliver/${i.repo.split('/').pop()}`)).toBe(200);
    expect(r.docker.map((d) => d.imageId)).toEqual(b.images.map((i) => i.configDigest));
    for (const d of r.docker) expect((await engine.docker.getImage(d.tag).inspect()).Id).toBe(d.imageId);
    expect(readFileSync(join(models, 'org/m/weights.safetensors')).equals(weights)).toBe(true);
    expect(r.skipped).toEqual([{ target: 'ollama', reason: 'not asked' }]);

    // Each file once per target that consumes it: blobs by the registry push and by the Docker
    // load, image manifests once (checked up front, the same bytes pushed), model files once.
    const expected = new Map<string, number>();
    for (const f of b.manifest.files) {
      const isManifest = b.images.some((i) => blobRel(i.manifestDigest) === f.path);
      const isBlob = f.path.startsWith('images/blobs/') && !isManifest;
      if (isManifest || f.path.startsWith('models/')) expected.set(f.path, f.size);
      if (isBlob) expected.set(f.path, 2 * f.size);
    }
    expect(Object.fromEntries(deliveryReads.bytes)).toEqual(Object.fromEntries(expected));

    const events = imported(custody);
    expect(events.map((e) => e.details.into).sort()).toEqual(['docker', 'models', 'registry']);
    expect(events.every((e) => e.details.failed === undefined)).toBe(true);
  });

  it('when a bundle has nothing for a target asked for, the result names it', async () => {
    const b = await makeBundle('no-model', ['empty/app']);
    const r = await importBundle({ dir: b.dir, modelsDir: join(tmp.path, 'none'), registry: `${registry.host}/deliver`, insecureRegistries: [registry.host] }, { custody: station('no-model'), pool }, progress());
    expect(r.skipped).toEqual([
      { target: 'docker', reason: 'not asked' },
      { target: 'models', reason: 'no model file in this bundle' },
      { target: 'ollama', reason: 'not asked' },
    ]);
  });

  it('a blob changed after the import began: images before it are delivered, the image concerned has no manifest, custody says which', async () => {
    const b = await makeBundle('tamper-blob', ['tb/first', 'tb/second'], { 'config.json': Buffer.from('{}'), 'weights.safetensors': randomBytes(50_000) });
    const victim = blobRel(b.images[1]!.layers[1]!);
    const custody = station('tamper-blob');
    const models = join(tmp.path, 'tamper-blob-models');
    process.env[TAMPER_HOOK_ENV] = victim;
    const err = await importBundle({ dir: b.dir, registry: `${registry.host}/tamper`, insecureRegistries: [registry.host], modelsDir: models }, { custody, pool }, progress()).catch((e: Error) => e);

    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`${victim}: sha256 `);
    expect(await manifestStatus('tamper/first')).toBe(200);
    expect(await manifestStatus('tamper/second')).toBe(404);
    const head = await fetch(`http://${registry.host}/v2/tamper/second/blobs/${b.images[1]!.layers[1]}`, { method: 'HEAD' });
    expect(head.status).toBe(404);
    expect(existsSync(models)).toBe(false); // nothing after the failure ran
    const [event, ...more] = imported(custody);
    expect(more).toEqual([]);
    expect(event!.details).toMatchObject({ into: 'registry', images: [{ target: `${registry.host}/tamper/first:1`, digest: b.images[0]!.manifestDigest }], failed: { file: victim } });
    expect((event!.details.images as unknown[]).length).toBe(1);
  });

  it('a blob of the first image changed: with every image\'s uploads in flight together, no image after it gets a manifest either', async () => {
    const b = await makeBundle('tamper-first', ['tf/one', 'tf/two', 'tf/three']);
    const victim = blobRel(b.images[0]!.layers[1]!);
    const custody = station('tamper-first');
    process.env[TAMPER_HOOK_ENV] = victim;
    const err = await importBundle({ dir: b.dir, registry: `${registry.host}/tamperfirst`, insecureRegistries: [registry.host] }, { custody, pool }, progress()).catch((e: Error) => e);

    expect((err as Error).message).toContain(`${victim}: sha256 `);
    for (const repo of ['one', 'two', 'three']) expect(await manifestStatus(`tamperfirst/${repo}`)).toBe(404);
    const [event] = imported(custody);
    expect(event!.details).toMatchObject({ into: 'registry', images: [], failed: { file: victim } });
  });

  it('a model file changed after the import began: it is not in place, no temp file is left, custody names what was placed', async () => {
    const b = await makeBundle('tamper-model', [], { 'config.json': Buffer.from('{"v":1}'), 'weights.safetensors': randomBytes(100_000) });
    const victim = 'models/org--m/weights.safetensors';
    const custody = station('tamper-model');
    const models = join(tmp.path, 'tamper-model-models');
    process.env[TAMPER_HOOK_ENV] = victim;
    const err = await importBundle({ dir: b.dir, modelsDir: models }, { custody, pool }, progress()).catch((e: Error) => e);

    expect((err as Error).message).toContain(`${victim}: sha256 `);
    expect(existsSync(join(models, 'org/m/weights.safetensors'))).toBe(false);
    expect(listFiles(models).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(listFiles(models).sort()).toEqual(['org/m/.ferry-owned', 'org/m/config.json']);
    const [event] = imported(custody);
    expect(event!.details).toMatchObject({ into: 'models', models: [{ repo: 'org/m', placedFiles: ['config.json'] }], failed: { file: victim } });
  });

  it('a blob changed during a Docker load: the load is aborted, no image is loaded or tagged, custody says none was', async () => {
    const b = await makeBundle('tamper-load', ['tl/app']);
    const img = b.images[0]!;
    const victim = blobRel(img.layers[1]!);
    const custody = station('tamper-load');
    process.env[TAMPER_HOOK_ENV] = victim;
    const err = await importBundle({ dir: b.dir, docker: true, dockerHost: dockerHost() }, { custody, pool }, progress()).catch((e: Error) => e);

    expect((err as Error).message).toContain(`${victim}: sha256 `);
    expect(await inspectStatus(`${REG}/tl/app:1`)).toBe(404);
    expect(await inspectStatus(img.configDigest)).toBe(404);
    const [event] = imported(custody);
    expect(event!.details).toMatchObject({ into: 'docker', images: [], failed: { file: victim } });
  });
});
