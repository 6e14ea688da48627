import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundle } from '../../src/main/bundle/create';
import type { BundleManifest, ImageArtifact } from '../../src/main/bundle/manifest-schema';
import type { Progress } from '../../src/main/jobs/progress';
import { verifyBundle } from '../../src/main/bundle/verify';
import { createServices, type Services } from '../../src/main/core/services';
import { loadIntoDocker } from '../../src/main/docker/docker-loader';
import { readBundleRecipe } from '../../src/main/recipes/bundle-recipe';
import { startDockerd } from '../harness/dockerd';
import { startHubServer } from '../harness/hub-server';
import { duoCliStandIn, startNpmRegistry } from '../harness/npm-registry';
import { startRegistry } from '../harness/registry';
import { requireTool } from '../harness/require-tool';
import { tempDir } from '../harness/temp';
import { makeBusyboxLayer, pushTestImages, writeOciImage } from '../harness/test-images';
import { blob, pushStandIn, standIn } from './acquire-helpers';

// The GitLab Duo recipe's custom flows executor (seed 000, "Configure offline flow execution"):
// FROM workflow-generic-image + npm install --global @gitlab/duo-cli, built by Ferry without
// Docker from a busybox stand-in of the executor (reached through --mirror under its real name)
// and an npm registry stand-in. The image is checked by skopeo and by running it in a private dockerd.
const run = promisify(execFile);
const tmp = tempDir('ferry-derive-');
const GITLAB = 'gitlab-org/modelops/applied-ml/code-suggestions/ai-assist';
const EXECUTOR_DIR = 'gitlab-org/duo-workflow/default-docker-image';
const MISTRAL = 'mistralai/Mistral-Small-3.2-24B-Instruct-2506';
const DUO = '@gitlab/duo-cli';
let registry: Awaited<ReturnType<typeof startRegistry>>;
let hub: Awaited<ReturnType<typeof startHubServer>>;
let npm: Awaited<ReturnType<typeof startNpmRegistry>>;
let services: Services;
let baseDigest: string;

const progress = (): Progress => ({ signal: new AbortController().signal, phase: () => undefined, item: () => undefined, itemState: () => undefined, advance: () => undefined });

beforeAll(async () => {
  [registry, hub, npm] = await Promise.all([
    startRegistry(),
    startHubServer({ repos: { [MISTRAL]: { files: { 'config.json': Buffer.from('{"model_type":"mistral3"}'), 'model.safetensors': Buffer.from('weights') } } } }),
    startNpmRegistry({
      packages: [
        duoCliStandIn('8.86.0'),
        { ...duoCliStandIn('8.88.0'), manifest: { bin: { duo: 'bin/duo.js' }, dependencies: { chalk: '^5.0.0', commander: '^12.0.0' }, bundleDependencies: ['commander'] } },
      ],
    }),
  ]);
  const layout = join(tmp.path, 'executor');
  const base = writeOciImage(layout, { name: 'workflow-generic-image:v0.0.6', layers: [await makeBusyboxLayer()], cmd: ['/bin/sh'] });
  baseDigest = base.manifestDigest;
  await pushTestImages(layout, registry.host, EXECUTOR_DIR);
  await pushStandIn(registry.host, `${GITLAB}/model-gateway`, ['self-hosted-v18.10.0-ee'], standIn([blob(Buffer.from('gateway'))]));
  await pushStandIn(registry.host, 'vllm/vllm-openai', ['v0.18.1'], standIn([blob(Buffer.from('vllm'))]));
  services = createServices({ dataDir: join(tmp.path, 'data') });
}, 120_000);

afterAll(async () => {
  await services?.close();
  await Promise.allSettled([registry?.stop(), hub?.stop(), npm?.stop()]);
  tmp.cleanup();
});

function create(out: string, params: Record<string, string> = {}) {
  const deps = { custody: services.custody, identity: services.identity, version: 'test', db: services.db, dataDir: services.dataDir };
  const req = { images: [], models: [], outDir: out, recipe: 'gitlab-duo-self-hosted', params: { npm_registry: npm.url, ...params }, mirrors: [`registry.gitlab.com=${registry.host}`, `docker.io=${registry.host}`], hubUrl: hub.url };
  return createBundle(req, deps, progress());
}

async function layerEntries(gz: Buffer): Promise<Map<string, tar.Header>> {
  const out = new Map<string, tar.Header>();
  const extract = tar.extract();
  const reading = (async () => {
    for await (const e of extract) {
      out.set(e.header.name, e.header);
      e.resume();
    }
  })();
  extract.end(gunzipSync(gz));
  await reading;
  return out;
}

const blobOf = (bundle: string, digest: string): Buffer => readFileSync(join(bundle, 'images/blobs/sha256', digest.slice(7)));
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('custom flows executor: base image + @gitlab/duo-cli, built into the bundle', () => {
  const out = join(tmp.path, 'duo-bundle');
  let manifest: BundleManifest;
  let duo: ImageArtifact;

  it('creates a bundle carrying recipe.yaml and a duo-executor image that verifies', async () => {
    const result = await create(out);
    manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    duo = manifest.artifacts.find((a): a is ImageArtifact => a.kind === 'image' && a.target === 'duo-executor')!;
    expect(duo).toMatchObject({ name: 'localhost/duo-executor:v0.0.6', tag: 'v0.0.6', source: `registry.gitlab.com/${EXECUTOR_DIR}/workflow-generic-image:v0.0.6 + npm:${DUO}@8.86.0` });
    const recipeBytes = readFileSync(join(out, 'recipe.yaml'));
    expect(recipeBytes.equals(readFileSync(resolve(__dirname, '../../resources/recipes/gitlab-duo-self-hosted.yaml')))).toBe(true);
    const { recipe, lock, sha256 } = await readBundleRecipe(out);
    expect(recipe.id).toBe('gitlab-duo-self-hosted');
    expect(sha256).toBe(lock.recipe.sha256);
    expect(manifest.files.find((f) => f.path === 'recipe.yaml')).toEqual({ path: 'recipe.yaml', size: recipeBytes.length, sha256 });
    expect(lock.derived[0]!.npm).toMatchObject({ package: DUO, version: '8.86.0', integrity: npm.tarball(DUO, '8.86.0').integrity });
    expect(existsSync(join(out, 'npm'))).toBe(false); // the tarball was only a means
    expect((await verifyBundle(out, services.pool, progress())).ok).toBe(true);
    expect(result.files).toBe(manifest.files.length);
    const acquired = services.custody.list({ bundleId: manifest.bundleId }).filter((e) => e.type === 'acquired').map((e) => e.details as { source?: string; npm?: { integrity: string } });
    expect(acquired.find((d) => d.source === duo.source)?.npm?.integrity).toBe(npm.tarball(DUO, '8.86.0').integrity);
  }, 120_000);

  it('readBundleRecipe refuses a recipe.yaml that does not match lock.json, and a bundle without one', async () => {
    const copy = join(tmp.path, 'copy');
    cpSync(join(out, 'lock.json'), join(copy, 'lock.json'), { recursive: true });
    cpSync(join(out, 'recipe.yaml'), join(copy, 'recipe.yaml'));
    appendFileSync(join(copy, 'recipe.yaml'), '# edited\n');
    await expect(readBundleRecipe(copy)).rejects.toThrow(/recipe\.yaml \(sha256 [a-f0-9]{64}\) does not match the recipe sha256 in .*lock\.json/);
    rmSync(join(copy, 'recipe.yaml'));
    await expect(readBundleRecipe(copy)).rejects.toMatchObject({ message: expect.stringContaining('was not created from a recipe'), hint: expect.stringContaining('ferry import') });
  });

  it('appends one layer: duo-cli under /usr/local/lib/node_modules and the duo bin symlink; diff_ids and history follow', async () => {
    const base = JSON.parse(blobOf(out, baseDigest).toString()) as { layers: { digest: string }[] };
    expect(duo.layers.slice(0, -1)).toEqual(base.layers.map((l) => l.digest));
    const config = JSON.parse(blobOf(out, duo.config).toString()) as { rootfs: { diff_ids: string[] }; history: { created_by?: string }[]; config: { Cmd: string[] } };
    expect(config.rootfs.diff_ids).toEqual(duo.layers.map((d) => sha(gunzipSync(blobOf(out, d)))));
    expect(config.history.at(-1)!.created_by).toBe(`ferry: npm install --global ${DUO}@8.86.0`);
    expect(config.config.Cmd).toEqual(['/bin/sh']);
    const entries = await layerEntries(blobOf(out, duo.layers.at(-1)!));
    expect(entries.get(`usr/local/lib/node_modules/${DUO}/package.json`)).toMatchObject({ type: 'file' });
    expect(entries.get('usr/local/bin/duo')).toMatchObject({ type: 'symlink', linkname: `../lib/node_modules/${DUO}/bin/duo.js` });
  });

  it('skopeo reads the derived image from the bundle layout', async () => {
    const skopeo = requireTool('skopeo', 'skopeo');
    const { stdout } = await run(skopeo, ['inspect', `oci:${join(out, 'images')}:localhost/duo-executor:v0.0.6`]);
    const info = JSON.parse(stdout) as { Digest: string; Layers: string[] };
    expect(info.Digest).toBe(duo.digest);
    expect(info.Layers).toEqual(duo.layers);
  });

  it('runs in a private dockerd: /usr/local/bin/duo links to the executable duo.js', async () => {
    const engine = await startDockerd();
    try {
      const [loaded] = await loadIntoDocker(engine.docker, join(out, 'images'), [{ manifestDigest: duo.digest, tag: 'duo-executor:v0.0.6' }]);
      expect(loaded!.tag).toBe('duo-executor:v0.0.6');
      const c = await engine.docker.createContainer({ Image: 'duo-executor:v0.0.6', Cmd: ['sh', '-c', `ls -l /usr/local/bin/duo; ls -lL /usr/local/bin/duo; cat /usr/local/lib/node_modules/${DUO}/package.json`], Tty: true, HostConfig: { NetworkMode: 'none' } });
      try {
        await c.start();
        expect(((await c.wait()) as { StatusCode: number }).StatusCode).toBe(0);
        const logs = (await c.logs({ stdout: true, stderr: true, follow: false })).toString();
        expect(logs).toContain(`/usr/local/bin/duo -> ../lib/node_modules/${DUO}/bin/duo.js`);
        expect(logs).toMatch(/-rwxr-xr-x\s.*\/usr\/local\/bin\/duo/);
        expect(logs).toContain('"version": "8.86.0"');
      } finally {
        await c.remove({ force: true });
      }
    } finally {
      await engine.stop();
    }
  }, 180_000);

  it('is deterministic: another bundle from the same inputs gets the same derived digest', async () => {
    await create(join(tmp.path, 'duo-again'));
    const again = JSON.parse(readFileSync(join(tmp.path, 'duo-again', 'manifest.json'), 'utf8')) as BundleManifest;
    expect(again.artifacts.find((a) => a.kind === 'image' && a.target === 'duo-executor')).toMatchObject({ digest: duo.digest, layers: duo.layers, config: duo.config });
  }, 120_000);

  it('a tampered tarball fails naming the package; no bundle, no tarball and no derived image left behind', async () => {
    const bad = join(tmp.path, 'tampered');
    npm.tamper(DUO, '8.86.0');
    try {
      await expect(create(bad)).rejects.toThrow(/@gitlab\/duo-cli@8\.86\.0.*sha512-/);
    } finally {
      npm.tamper(DUO, '8.86.0', false);
    }
    expect(existsSync(bad)).toBe(false);
    const partial = `${bad}.partial`;
    expect(existsSync(join(partial, 'npm')) ? readdirSync(join(partial, 'npm')) : []).toEqual([]);
    expect(readFileSync(join(partial, 'images', 'index.json'), 'utf8')).not.toContain('duo-executor');
    expect(existsSync(join(partial, 'manifest.json'))).toBe(false);
  }, 120_000);

  it('a package with dependencies it does not bundle is refused at resolve, naming them; its tarball is never fetched', async () => {
    const before = npm.requests.length;
    await expect(create(join(tmp.path, 'unbundled'), { duo_cli_version: '8.88.0' })).rejects.toThrow(/@gitlab\/duo-cli@8\.88\.0 depends on chalk, which it does not bundle/);
    expect(npm.requests.slice(before).filter((r) => r.endsWith('.tgz'))).toEqual([]);
    expect(existsSync(join(tmp.path, 'unbundled.partial'))).toBe(false);
  });
});
