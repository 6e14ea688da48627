import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import { expectRefused, expectUnchanged, hostileWorld, makeGenuineBundle, rewriteJson, runFerry, snapshotTree, startServer, type HostileWorld, type RunningServer } from './harness';

// Issue 14, "names are data, destinations are derived" and "review = delivery": crafted bundles
// whose names point outside their roots, whose delivery fields differ from what review shows, or
// whose image manifests carry layers the bundle manifest does not list. Each is refused with exit 1
// naming the field, within BOUND, and nothing outside the test's targets changes.

const BOUND = 15_000;
let w: HostileWorld;
let srv: RunningServer;
let n = 0;

beforeAll(async () => {
  w = hostileWorld();
  srv = await startServer(w.dataDir);
});
afterAll(async () => {
  await srv?.close();
  w?.cleanup();
});

let before: ReturnType<HostileWorld['snapshot']>;
beforeEach(() => {
  before = w.snapshot();
});
const done = async (): Promise<void> => {
  w.expectCanaryUnchanged(before);
  // Still answering (the status is the renderer's business; another build may be replacing out/).
  expect(await srv.getRoot()).toBeGreaterThan(0);
};

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const fresh = (): string => join(w.bundles, `b${++n}`);

/** A genuine bundle of one OCI image (config + `layers` blobs); `extraLayer` adds a layer to the image manifest only. */
async function imageBundle(dir: string, opts: { extraLayer?: boolean; edit?: (a: BundleManifest['artifacts'][number]) => void } = {}): Promise<void> {
  const blobs = join(dir, 'images/blobs/sha256');
  mkdirSync(blobs, { recursive: true });
  const files: BundleManifest['files'] = [];
  const put = (b: Buffer): { digest: string; size: number } => {
    writeFileSync(join(blobs, sha(b)), b);
    files.push({ path: `images/blobs/sha256/${sha(b)}`, size: b.length, sha256: sha(b) });
    return { digest: `sha256:${sha(b)}`, size: b.length };
  };
  const config = put(Buffer.from('{"architecture":"amd64","os":"linux"}'));
  const layer = put(Buffer.from('layer one'));
  const hidden = opts.extraLayer ? put(Buffer.from('a layer the reviewer never saw')) : undefined;
  const mediaType = 'application/vnd.oci.image.manifest.v1+json';
  const layers = [layer, ...(hidden ? [hidden] : [])].map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l }));
  const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers })));
  const artifact: BundleManifest['artifacts'][number] = {
    kind: 'image', name: 'registry.example/org/app:1.0', source: 'registry.example/org/app', registry: 'registry.example', repository: 'org/app', tag: '1.0',
    digest: manifest.digest, mediaType, platform: 'linux/amd64', size: 1, config: config.digest, layers: [layer.digest],
  };
  opts.edit?.(artifact);
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  await writeManifest(dir, { format: BUNDLE_FORMAT, bundleId: '6f1c1f0e-2d5b-4a53-9a53-1f6f0e6b7c11', createdAt: 'x', createdBy: { actor: 'op', station: 's' }, tool: { name: 'ferry', version: '0' }, artifacts: [artifact], files });
}

describe('names are data: traversal in every name field is refused before anything is read or written', () => {
  const cases: [string, (m: any, canaryRel: string) => void, string][] = [
    ['files name ../../../../<canary>', (m, c) => (m.extraArtifacts[0].name = `../../../../../../${c}`), 'extraArtifacts.0.name'],
    ['files name absolute', (m, c) => (m.extraArtifacts[0].name = `/${c}`), 'extraArtifacts.0.name'],
    ['files name with a unicode slash', (m) => (m.extraArtifacts[0].name = 'a\u2215..\u2215b'), 'extraArtifacts.0.name'],
    ['model name with ..', (m) => (m.artifacts[0].name = '../../org/m'), 'artifacts.0.name'],
    ['model repo with ..', (m) => (m.artifacts[0].repo = 'org/..'), 'artifacts.0.repo'],
  ];
  it.each(cases)('%s: verify, import and install refuse naming the field; the canary is untouched', async (_label, edit, field) => {
    const dir = fresh();
    await makeGenuineBundle(dir, { files: true, recipe: true });
    rewriteJson(join(dir, 'manifest.json'), (m) => {
      edit(m, relative('/', w.canary));
    });
    const models = w.target(`models-${n}`);
    const targets = snapshotTree(w.targets);
    expectRefused(await runFerry(['verify', dir], { dataDir: w.dataDir, timeoutMs: BOUND }), { names: [field], marker: w.marker, boundMs: BOUND });
    expectRefused(await runFerry(['import', dir, '--models-dir', models], { dataDir: w.dataDir, timeoutMs: BOUND }), { names: [field], marker: w.marker, boundMs: BOUND });
    expectRefused(await runFerry(['install', dir, '--models-dir', models, '--gpu', 'none', '--egress-outside', '127.0.0.1:9'], { dataDir: w.dataDir, timeoutMs: BOUND }), { names: [field], marker: w.marker, boundMs: BOUND });
    expectUnchanged(targets, snapshotTree(w.targets), 'targets');
    await done();
  });

  it.each([
    ['target', (a: any) => (a.target = '../../victim')],
    ['tag', (a: any) => (a.tag = '../x')],
    ['repository', (a: any) => (a.repository = 'org/../../victim')],
    ['registry', (a: any) => (a.registry = '../host')],
  ])('image %s with traversal is refused by verify', async (field, edit) => {
    const dir = fresh();
    await imageBundle(dir, { edit });
    expectRefused(await runFerry(['verify', dir], { dataDir: w.dataDir, timeoutMs: BOUND }), { names: [`artifacts.0.${field}`], marker: w.marker, boundMs: BOUND });
    await done();
  });
});

describe('what is reviewed is what is delivered', () => {
  it('a genuine image bundle verifies (the control for the cases below)', async () => {
    const dir = fresh();
    await imageBundle(dir);
    const r = await runFerry(['verify', dir], { dataDir: w.dataDir, timeoutMs: BOUND });
    expect(r.code, r.stderr + r.stdout).toBe(0);
  });

  it('an image manifest with a layer the bundle manifest does not list is refused, naming the layer', async () => {
    const dir = fresh();
    await imageBundle(dir, { extraLayer: true });
    const hidden = `sha256:${sha('a layer the reviewer never saw')}`;
    expectRefused(await runFerry(['verify', dir], { dataDir: w.dataDir, timeoutMs: BOUND }), { names: [hidden, 'field layers'], marker: w.marker, boundMs: BOUND });
    // Review reads the layers from the image manifest itself, and marks the one the bundle manifest hides.
    const review = await runFerry(['review', dir], { dataDir: w.dataDir, timeoutMs: BOUND });
    expect(review.stdout).toContain(`${hidden}  30 B  NOT IN THE BUNDLE MANIFEST`);
    await done();
  });

  it('an image whose repository differs from its reviewed source is refused', async () => {
    const dir = fresh();
    await imageBundle(dir, { edit: (a: any) => ((a.repository = 'victim/app'), (a.name = 'registry.example/victim/app:1.0')) });
    expectRefused(await runFerry(['verify', dir], { dataDir: w.dataDir, timeoutMs: BOUND }), { names: ['artifacts.0.repository', 'victim/app'], marker: w.marker, boundMs: BOUND });
    await done();
  });

  it('an image whose name (shown) and tag (delivered) differ is refused', async () => {
    const dir = fresh();
    await imageBundle(dir, { edit: (a: any) => (a.tag = 'latest') });
    expectRefused(await runFerry(['verify', dir], { dataDir: w.dataDir, timeoutMs: BOUND }), { names: ['artifacts.0.name'], marker: w.marker, boundMs: BOUND });
    await done();
  });

  it('a model whose source reads org/m but whose repo is victim/prod-model is refused; the victim model is untouched', async () => {
    const dir = fresh();
    await makeGenuineBundle(dir);
    renameSync(join(dir, 'models/org--m'), join(dir, 'models/victim--prod-model'));
    rewriteJson(join(dir, 'manifest.json'), (m) => {
      m.artifacts[0].repo = 'victim/prod-model';
      m.artifacts[0].name = 'victim/prod-model';
      m.artifacts[0].dir = 'models/victim--prod-model';
      m.files = m.files.map((f: { path: string }) => ({ ...f, path: f.path.replace('models/org--m', 'models/victim--prod-model') }));
    });
    const models = w.target(`models-${++n}`);
    mkdirSync(join(models, 'victim/prod-model'), { recursive: true });
    writeFileSync(join(models, 'victim/prod-model/config.json'), '{"production":true}');
    const targets = snapshotTree(w.targets);
    expectRefused(await runFerry(['verify', dir], { dataDir: w.dataDir, timeoutMs: BOUND }), { names: ['artifacts.0.repo', 'org/m'], marker: w.marker, boundMs: BOUND });
    expectRefused(await runFerry(['import', dir, '--models-dir', models], { dataDir: w.dataDir, timeoutMs: BOUND }), { names: ['artifacts.0.repo'], marker: w.marker, boundMs: BOUND });
    expectUnchanged(targets, snapshotTree(w.targets), 'targets');
    await done();
  });

  it('a model dir that differs from its repo, and files/Ollama fields that differ, are refused', async () => {
    const dir = fresh();
    await makeGenuineBundle(dir, { files: true });
    rewriteJson(join(dir, 'manifest.json'), (m) => {
      m.artifacts[0].source = 'http://127.0.0.1/org/other';
    });
    expectRefused(await runFerry(['verify', dir], { dataDir: w.dataDir, timeoutMs: BOUND }), { names: ['artifacts.0.repo'], marker: w.marker, boundMs: BOUND });
    await done();
  });

  it('the review document lists every kind with its destination and the image manifest layers', async () => {
    const dir = fresh();
    await makeGenuineBundle(dir, { files: true, recipe: true });
    const r = await runFerry(['review', dir], { dataDir: w.dataDir, timeoutMs: BOUND });
    const out = r.stdout + r.stderr;
    expect(out).toContain('<models dir>/org/m');
    expect(out).toContain('<data dir>/installs/<install id>/files/notes');
    expect(out).toMatch(/Runtime \(recipe vllm-model\)/);
    expect(out).toContain('container ferry-vllm');
  });
});

describe('nothing destructive without proof: destinations stay inside their roots', () => {
  it('a models folder whose org component is a symlink into the canary is refused; the canary model is untouched', async () => {
    const dir = fresh();
    await makeGenuineBundle(dir);
    const models = w.target(`models-${++n}`);
    symlinkSync(join(w.canary, 'org'), join(models, 'org'));
    expectRefused(await runFerry(['import', dir, '--models-dir', models], { dataDir: w.dataDir, timeoutMs: BOUND }), { names: ['symbolic link'], marker: w.marker, boundMs: BOUND });
    expect(readFileSync(join(w.canary, 'org/m/config.json'), 'utf8')).toBe('{"keep":true}');
    await done();
  });

  it('a model folder that exists and is not Ferry\'s is refused, its files kept', async () => {
    const dir = fresh();
    await makeGenuineBundle(dir);
    const models = w.target(`models-${++n}`);
    mkdirSync(join(models, 'org/m'), { recursive: true });
    writeFileSync(join(models, 'org/m/config.json'), 'admin wrote this');
    expectRefused(await runFerry(['import', dir, '--models-dir', models], { dataDir: w.dataDir, timeoutMs: BOUND }), { names: ['not created by Ferry', join(models, 'org/m')], marker: w.marker, boundMs: BOUND });
    expect(readFileSync(join(models, 'org/m/config.json'), 'utf8')).toBe('admin wrote this');
    await done();
  });

  it('a model placed by Ferry is marked as Ferry\'s and can be placed again', async () => {
    const dir = fresh();
    await makeGenuineBundle(dir);
    const models = w.target(`models-${++n}`);
    for (let i = 0; i < 2; i++) {
      const r = await runFerry(['import', dir, '--models-dir', models], { dataDir: w.dataDir, timeoutMs: BOUND });
      expect(r.code, r.stderr + r.stdout).toBe(0);
    }
    expect(existsSync(join(models, 'org/m/.ferry-owned'))).toBe(true);
    await done();
  });
});

describe('the headless server reviews hostile bundles without harm', () => {
  it('bundle:manifest refuses a traversal name naming the field, shows delivery problems, and keeps serving', async () => {
    const bad = fresh();
    await makeGenuineBundle(bad, { files: true });
    rewriteJson(join(bad, 'manifest.json'), (m) => {
      m.extraArtifacts[0].name = '../../../../etc';
    });
    const r = await srv.invoke('bundle:manifest', { dir: bad }, BOUND);
    expect(r.status).not.toBe(200);
    expect(JSON.stringify(r.body)).toContain('extraArtifacts.0.name');

    const mismatched = fresh();
    await makeGenuineBundle(mismatched);
    rewriteJson(join(mismatched, 'manifest.json'), (m) => {
      m.artifacts[0].source = 'http://127.0.0.1/victim/prod-model';
    });
    const doc = await srv.invoke('bundle:manifest', { dir: mismatched }, BOUND);
    expect(doc.status, JSON.stringify(doc.body)).toBe(200);
    const body = JSON.stringify(doc.body);
    expect(body).toContain('deliveryProblems');
    expect(body).toContain('field repo');
    await done();
  });
});
