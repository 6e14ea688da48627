import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../src/shared/api';
import { useDockerd, type TestDockerd } from '../harness/dockerd';
import { ferry } from '../harness/ferry-cli';
import { freePort } from '../harness/ports';
import { startHubServer } from '../harness/hub-server';
import { startRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { buildTestImages } from '../harness/test-images';
import { countingProxy, pushStandIn, randomLayer, standIn } from './acquire-helpers';

// Other sources: docker save / OCI archives, the local Docker engine, a Hugging Face cache,
// an Ollama models folder; and HTTP(S)_PROXY / NO_PROXY for the network ones.
const tmp = tempDir('ferry-sources-');
const dataDir = join(tmp.path, 'data');
let dockerd: TestDockerd;
let layout: string;
const hex = (b: Buffer | string, alg = 'sha256') => createHash(alg).update(b).digest('hex');
const skopeo = (...args: string[]) => execFileSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8' });
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

beforeAll(async () => {
  [dockerd, { layoutDir: layout }] = await Promise.all([useDockerd(), buildTestImages(join(tmp.path, 'src'))]);
});
afterAll(async () => {
  await dockerd?.stop();
  tmp.cleanup();
});

async function verifyOk(dir: string): Promise<void> {
  const v = await ferry(['verify', dir, '--data-dir', dataDir, '--json']);
  expect(v.json<VerifyResult>()).toMatchObject({ ok: true, problems: [] });
}

describe('local image sources', () => {
  it('docker save and OCI archives (gzip too), and the local Docker engine', async () => {
    const dockerTar = join(tmp.path, 'hello.tar');
    const ociTar = join(tmp.path, 'busybox-oci.tar');
    skopeo('copy', '-q', `oci:${layout}:hello:1.0`, `docker-archive:${dockerTar}:example.com/demo/hello:1.0`);
    skopeo('copy', '-q', `oci:${layout}:busybox:1.0`, `oci-archive:${ociTar}:example.com/demo/busybox:1.0`);
    execFileSync('sh', ['-c', `gzip -c ${dockerTar} > ${dockerTar}.gz`]);
    execFileSync('docker', ['-H', `unix://${dockerd.socketPath}`, 'load', '-i', dockerTar], { stdio: 'ignore' });
    const imageId = execFileSync('docker', ['-H', `unix://${dockerd.socketPath}`, 'image', 'inspect', '--format', '{{.Id}}', 'example.com/demo/hello:1.0'], { encoding: 'utf8' }).trim();

    const out = join(tmp.path, 'archives');
    const r = await ferry(['bundle', 'create', '--image', `docker-archive:${dockerTar}.gz`, '--image', `oci-archive:${ociTar}`, '--image', 'docker-daemon:example.com/demo/hello:1.0', '--out', out, '--data-dir', dataDir, '--json'], { env: { DOCKER_HOST: `unix://${dockerd.socketPath}` } });
    expect(r.code, r.stderr).toBe(0);
    await verifyOk(out);
    const arts = manifestOf(out).artifacts as { name: string; config: string; digest: string; source: string }[];
    expect(arts.map((a) => a.name)).toEqual(['example.com/demo/hello:1.0', 'example.com/demo/busybox:1.0', 'example.com/demo/hello:1.0']);
    // docker save content keeps the image id; the same image gives the same manifest digest either way
    expect(arts[0]!.config).toBe(imageId);
    expect(arts[2]!.digest).toBe(arts[0]!.digest);
    const ociDigest = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')).manifests.find((m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name'] === 'busybox:1.0').digest;
    expect(arts[1]!.digest).toBe(ociDigest);
    // skopeo reads what Ferry wrote
    expect(skopeo('inspect', '--raw', `oci:${join(out, 'images')}:example.com/demo/hello:1.0`)).toContain('image.layer.v1.tar');
  });
});

describe('local model sources', () => {
  it('takes a model from a Hugging Face cache and an Ollama model from a models folder, with no network', async () => {
    const cache = join(tmp.path, 'hf');
    const repo = join(cache, 'models--acme--tiny');
    const commit = 'd'.repeat(40);
    const weights = Buffer.alloc(1 << 16, 3);
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(join(repo, 'refs'));
    mkdirSync(join(repo, 'snapshots', commit), { recursive: true });
    writeFileSync(join(repo, 'blobs', hex(weights)), weights);
    writeFileSync(join(repo, 'refs', 'main'), commit);
    symlinkSync(`../../blobs/${hex(weights)}`, join(repo, 'snapshots', commit, 'model.safetensors'));
    const ollama = join(tmp.path, 'ollama');
    const layer = Buffer.from('GGUF');
    const cfg = Buffer.from('{"os":"linux","architecture":"amd64"}');
    const man = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${hex(cfg)}`, size: cfg.length }, layers: [{ mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${hex(layer)}`, size: layer.length }] }));
    mkdirSync(join(ollama, 'manifests/registry.ollama.ai/library/tiny'), { recursive: true });
    mkdirSync(join(ollama, 'blobs'));
    writeFileSync(join(ollama, 'manifests/registry.ollama.ai/library/tiny/1b'), man);
    writeFileSync(join(ollama, 'blobs', `sha256-${hex(cfg)}`), cfg);
    writeFileSync(join(ollama, 'blobs', `sha256:${hex(layer)}`), layer);
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const out = join(tmp.path, 'local-models');
    const r = await ferry(['bundle', 'create', '--model', 'acme/tiny', '--hf-cache', cache, '--ollama', 'tiny:1b', '--ollama-dir', ollama, '--hub-url', nowhere, '--out', out, '--data-dir', dataDir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ fetchedBytes: 0, localBytes: weights.length + cfg.length + layer.length });
    await verifyOk(out);
    expect(manifestOf(out).artifacts[0]).toMatchObject({ repo: 'acme/tiny', revision: commit });
    expect(readFileSync(join(out, 'ollama/blobs', `sha256-${hex(layer)}`), 'utf8')).toBe('GGUF');
  });
});

describe('HTTPS_PROXY / HTTP_PROXY / NO_PROXY', () => {
  it('sends registry and hub traffic through the proxy unless NO_PROXY names the host', async () => {
    const [registry, hub] = await Promise.all([startRegistry(), startHubServer({ repos: { 'acme/p': { files: { 'config.json': Buffer.from('{}'), 'w.bin': { size: 4096, seed: 1 } } } } })]);
    const proxy = await countingProxy(`http://${registry.host}`);
    try {
      await pushStandIn(registry.host, 'team/p', ['1'], standIn([randomLayer(1024)]));
      const args = (name: string) => ['bundle', 'create', '--image', `${registry.host}/team/p:1`, '--model', 'acme/p', '--hub-url', hub.url, '--out', join(tmp.path, name), '--data-dir', dataDir];
      const via = await ferry(args('proxied'), { env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: '' } });
      expect(via.code, via.stderr).toBe(0);
      const seen = proxy.log.map((e) => e.path);
      expect(seen.some((p) => p.startsWith(`http://${registry.host}/v2/team/p/manifests/1`))).toBe(true);
      expect(seen.some((p) => p.startsWith(`${hub.url}/api/models/acme/p`))).toBe(true);
      proxy.log.length = 0;
      const bypass = await ferry(args('bypass'), { env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } });
      expect(bypass.code, bypass.stderr).toBe(0);
      expect(proxy.log).toEqual([]);
    } finally {
      await Promise.allSettled([registry.stop(), hub.stop(), proxy.stop()]);
    }
  });
});
