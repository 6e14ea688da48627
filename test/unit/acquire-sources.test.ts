import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerCredentials } from '../../src/main/acquire/docker-config';
import { mirrored, parseMirrors } from '../../src/main/acquire/mirrors';
import { resolveFromHfCache } from '../../src/main/sources/hf-cache';
import { parseImageSource } from '../../src/main/sources/image-source';
import { resolveLocalFiles } from '../../src/main/sources/local-files';
import { resolveFromOllamaDir } from '../../src/main/sources/ollama-dir';
import { ollamaBlobPath, ollamaManifestPath, parseOllamaName } from '../../src/main/sources/ollama-name';
import { tempDir } from '../harness/temp';

const tmp = tempDir('ferry-sources-unit-');
afterAll(() => tmp.cleanup());
const hex = (b: Buffer | string, alg = 'sha256') => createHash(alg).update(b).digest('hex');

describe('mirrors, proxies and credentials', () => {
  it('parses --mirror and rewrites only where content is fetched from', () => {
    const m = parseMirrors(['registry.gitlab.com=127.0.0.1:5101', 'index.docker.io=harbor.internal/hub-proxy']);
    expect(mirrored(m, 'registry.gitlab.com', 'gitlab-org/x')).toEqual({ host: '127.0.0.1:5101', repository: 'gitlab-org/x' });
    expect(mirrored(m, 'docker.io', 'library/postgres')).toEqual({ host: 'harbor.internal', repository: 'hub-proxy/library/postgres' });
    expect(mirrored(m, 'quay.io', 'a/b')).toEqual({ host: 'quay.io', repository: 'a/b' });
    expect(() => parseMirrors(['registry.gitlab.com'])).toThrow(/SOURCE=HOST/);
    expect(() => parseMirrors(['a=b/UPPER'])).toThrow(/SOURCE=HOST/);
  });

  it('reads credentials from the Docker config file (base64 auth, Docker Hub aliases)', () => {
    const file = join(tmp.path, 'config.json');
    // 'https://index.docker.io/v1/' is the literal key Docker writes for Hub logins; it is only parsed, never contacted.
    writeFileSync(file, JSON.stringify({ auths: { 'registry.gitlab.com': { auth: Buffer.from('deploy:s3cr:et').toString('base64') }, 'https://index.docker.io/v1/': { username: 'hubuser', password: 'hubpass' } } }));
    expect(dockerCredentials('registry.gitlab.com', file)).toEqual({ username: 'deploy', password: 's3cr:et' });
    expect(dockerCredentials('docker.io', file)).toEqual({ username: 'hubuser', password: 'hubpass' });
    expect(dockerCredentials('quay.io', file)).toBeUndefined();
    expect(dockerCredentials('quay.io', join(tmp.path, 'missing.json'))).toBeUndefined();
  });
});

describe('source names', () => {
  it('image sources in skopeo transport syntax', () => {
    expect(parseImageSource('postgres:16-alpine')).toMatchObject({ transport: 'registry', ref: { registry: 'docker.io', repository: 'library/postgres', tag: '16-alpine' } });
    expect(parseImageSource('docker-archive:/x/stack.tar:keeptrusts/api:2.5.0')).toEqual({ transport: 'docker-archive', path: '/x/stack.tar', name: 'keeptrusts/api:2.5.0' });
    expect(parseImageSource('oci-archive:/x/a.tar')).toEqual({ transport: 'oci-archive', path: '/x/a.tar' });
    expect(parseImageSource('docker-daemon:busybox:1.0')).toEqual({ transport: 'docker-daemon', name: 'busybox:1.0' });
    expect(() => parseImageSource('docker-daemon:Not Valid')).toThrow(/Invalid image reference/);
  });

  it('Ollama names and FAT-safe paths', () => {
    const n = parseOllamaName('llama3.1:8b');
    expect(n).toEqual({ registry: 'registry.ollama.ai', repository: 'library/llama3.1', tag: '8b' });
    expect(parseOllamaName('acme/coder')).toEqual({ registry: 'registry.ollama.ai', repository: 'acme/coder', tag: 'latest' });
    expect(ollamaManifestPath(parseOllamaName('127.0.0.1:11434/ns/m:q4_K_M'))).toBe('manifests/127.0.0.1%3A11434/ns/m/q4_K_M');
    expect(ollamaBlobPath(`sha256:${'a'.repeat(64)}`)).toBe(`blobs/sha256-${'a'.repeat(64)}`);
  });
});

describe('local sources', () => {
  it('resolves a model from a Hugging Face cache (refs, snapshot symlinks into blobs named by hash)', async () => {
    const cache = join(tmp.path, 'hf');
    const repo = join(cache, 'models--acme--tiny');
    const commit = 'c'.repeat(40);
    const weights = Buffer.alloc(4096, 7);
    const config = Buffer.from('{"a":1}');
    const gitOid = hex(Buffer.concat([Buffer.from(`blob ${config.length}\0`), config]), 'sha1');
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(join(repo, 'refs'));
    mkdirSync(join(repo, 'snapshots', commit, 'sub'), { recursive: true });
    writeFileSync(join(repo, 'blobs', hex(weights)), weights);
    writeFileSync(join(repo, 'blobs', gitOid), config);
    writeFileSync(join(repo, 'refs', 'main'), commit);
    symlinkSync(`../../blobs/${hex(weights)}`, join(repo, 'snapshots', commit, 'model.safetensors'));
    symlinkSync(`../../../blobs/${gitOid}`, join(repo, 'snapshots', commit, 'sub', 'config.json'));
    const m = await resolveFromHfCache(cache, 'model', 'acme/tiny', 'main');
    expect(m).toMatchObject({ from: 'hf-cache', revision: commit, repo: 'acme/tiny' });
    expect(m!.files).toEqual([{ path: 'model.safetensors', size: 4096, sha256: hex(weights) }, { path: 'sub/config.json', size: config.length, gitOid }]);
    expect(await resolveFromHfCache(cache, 'model', 'acme/tiny', 'other-branch')).toBeUndefined();
    expect(await resolveFromHfCache(cache, 'model', 'acme/absent', 'main')).toBeUndefined();
    expect((await resolveFromHfCache(cache, 'model', 'acme/tiny', commit, ['*.json']))!.files.map((f) => f.path)).toEqual(['sub/config.json']);
  });

  it('resolves an Ollama model from a models folder, current and legacy blob names', async () => {
    const dir = join(tmp.path, 'ollama');
    const layer = Buffer.from('GGUF');
    const config = Buffer.from('{"model_format":"gguf","os":"linux","architecture":"amd64"}');
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${hex(config)}`, size: config.length }, layers: [{ mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${hex(layer)}`, size: layer.length }] }));
    mkdirSync(join(dir, 'blobs'), { recursive: true });
    mkdirSync(join(dir, 'manifests', 'registry.ollama.ai', 'library', 'tiny'), { recursive: true });
    writeFileSync(join(dir, 'manifests', 'registry.ollama.ai', 'library', 'tiny', '1b'), manifest);
    writeFileSync(join(dir, 'blobs', `sha256-${hex(config)}`), config);
    writeFileSync(join(dir, 'blobs', `sha256:${hex(layer)}`), layer);
    const o = await resolveFromOllamaDir(dir, 'm', parseOllamaName('tiny:1b'));
    expect(o).toMatchObject({ model: 'tiny:1b', from: 'ollama-dir', digest: `sha256:${hex(manifest)}`, size: manifest.length + config.length + layer.length });
    expect(await resolveFromOllamaDir(dir, 'm', parseOllamaName('tiny:2b'))).toBeUndefined();
  });

  it('pins local files and folders, refusing names removable media cannot hold', async () => {
    const dir = join(tmp.path, 'kb');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'policies.md'), '# p\n');
    writeFileSync(join(dir, 'sub', 'notes.txt'), 'n');
    writeFileSync(join(dir, 'skip.tmp'), 'x');
    const l = await resolveLocalFiles({ id: 'kb', path: dir, optional: false, exclude: ['*.tmp'] });
    expect(l).toMatchObject({ kind: 'folder', dir: 'files/kb', size: 5 });
    expect(l!.files).toEqual([{ path: 'policies.md', size: 4, sha256: hex('# p\n') }, { path: 'sub/notes.txt', size: 1, sha256: hex('n') }]);
    writeFileSync(join(dir, 'bad:name.md'), 'x');
    await expect(resolveLocalFiles({ id: 'kb', path: dir, optional: false })).rejects.toThrow(/bad:name\.md cannot go on removable media/);
    expect(await resolveLocalFiles({ id: 'x', path: join(tmp.path, 'nope'), optional: true })).toBeUndefined();
    await expect(resolveLocalFiles({ id: 'x', path: join(tmp.path, 'nope'), optional: false })).rejects.toThrow(/does not exist/);
  });
});
