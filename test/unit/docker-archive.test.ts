import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDockerArchive, planDockerArchive, streamDockerArchive } from '../../src/main/docker/docker-archive';
import { FerryError } from '../../src/shared/errors';
import { tempDir } from '../harness/temp';
import { makeLayerTar, sha256, writeOciImage, type TestImage } from '../harness/test-images';

interface Entry {
  name: string;
  type: string;
  data: Buffer;
}

async function readTar(stream: Readable): Promise<{ entries: Entry[]; bytes: number }> {
  const extract = tar.extract();
  let bytes = 0;
  stream.on('data', (c: Buffer) => (bytes += c.length));
  stream.on('error', (err) => extract.destroy(err));
  stream.pipe(extract);
  const entries: Entry[] = [];
  for await (const e of extract) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    entries.push({ name: e.header.name, type: e.header.type ?? 'file', data: Buffer.concat(chunks) });
  }
  return { entries, bytes };
}

function putBlob(layoutDir: string, data: Buffer | string): { digest: string; size: number } {
  const buf = Buffer.from(data);
  const digest = sha256(buf);
  writeFileSync(join(layoutDir, 'blobs/sha256', digest.slice(7)), buf);
  return { digest, size: buf.length };
}

const tmp = tempDir('ferry-archive-');
const layoutDir = join(tmp.path, 'layout');
let a: TestImage;
let b: TestImage;

beforeAll(async () => {
  const base = await makeLayerTar([{ path: 'bin/', type: 'directory' }, { path: 'bin/tool', content: randomBytes(200_000), mode: 0o755 }]);
  const top = await makeLayerTar([{ path: 'srv/hello.txt', content: 'hi\n' }]);
  a = writeOciImage(layoutDir, { name: 'a:1', layers: [base], cmd: ['/bin/tool'] });
  b = writeOciImage(layoutDir, { name: 'b:1', layers: [base, top], cmd: ['/bin/tool', 'x'] });
});
afterAll(() => tmp.cleanup());

describe('createDockerArchive', () => {
  test('writes manifest.json and each blob once, with matching contents', async () => {
    const images = [
      { manifestDigest: a.manifestDigest, repoTags: ['a:1'] },
      { manifestDigest: b.manifestDigest, repoTags: ['reg.local:5000/x/b:1'] },
    ];
    const plan = await planDockerArchive(layoutDir, images);
    const { entries, bytes } = await readTar(createDockerArchive(layoutDir, images));
    expect(bytes).toBe(plan.totalBytes);

    const manifest = JSON.parse(entries.find((e) => e.name === 'manifest.json')!.data.toString());
    const path = (d: string): string => `blobs/sha256/${d.slice(7)}`;
    expect(manifest).toEqual([
      { Config: path(a.configDigest), RepoTags: ['a:1'], Layers: a.layers.map(path) },
      { Config: path(b.configDigest), RepoTags: ['reg.local:5000/x/b:1'], Layers: b.layers.map(path) },
    ]);
    expect(b.layers[0]).toBe(a.layers[0]);

    const files = entries.filter((e) => e.type === 'file' && e.name !== 'manifest.json');
    const names = files.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual([...new Set([a.configDigest, b.configDigest, ...a.layers, ...b.layers])].map(path).sort());
    expect(names.filter((n) => n === path(a.layers[0]!))).toHaveLength(1);
    for (const f of files) expect(`sha256:${createHash('sha256').update(f.data).digest('hex')}`).toBe(`sha256:${f.name.slice(13)}`);
  });

  test('the same manifest requested twice becomes one entry with both tags', async () => {
    const plan = await planDockerArchive(layoutDir, [
      { manifestDigest: a.manifestDigest, repoTags: ['a:1'] },
      { manifestDigest: a.manifestDigest, repoTags: ['a:2', 'a:1'] },
    ]);
    expect(plan.images).toHaveLength(1);
    expect(plan.images[0]!.repoTags).toEqual(['a:1', 'a:2']);
    expect(plan.blobs).toHaveLength(2);
  });

  test('a missing layer blob is named, both by the plan and as a stream error', async () => {
    const broken = join(tmp.path, 'broken');
    const top = await makeLayerTar([{ path: 'only-here', content: 'x' }]);
    const img = writeOciImage(broken, { name: 'c:1', layers: [top], cmd: ['/x'] });
    rmSync(join(broken, 'blobs/sha256', img.layers[0]!.slice(7)));
    const req = [{ manifestDigest: img.manifestDigest, repoTags: [] }];
    await expect(planDockerArchive(broken, req)).rejects.toThrow(new RegExp(`${img.layers[0]} is missing`));
    await expect(readTar(createDockerArchive(broken, req))).rejects.toBeInstanceOf(FerryError);
  });

  test('rejects hostile or damaged manifests', async () => {
    const plan = (digest: string): Promise<unknown> => planDockerArchive(layoutDir, [{ manifestDigest: digest, repoTags: [] }]);
    await expect(plan('sha256:../../../etc/passwd')).rejects.toThrow(/invalid digest/);
    await expect(plan(`sha512:${'a'.repeat(128)}`)).rejects.toThrow(/invalid digest/);
    await expect(plan(`sha256:${'A'.repeat(64)}`)).rejects.toThrow(/invalid digest/);
    await expect(plan(`sha256:${'0'.repeat(64)}`)).rejects.toThrow(/is missing/);

    const tampered = `sha256:${'1'.repeat(64)}`;
    writeFileSync(join(layoutDir, 'blobs/sha256', tampered.slice(7)), '{}');
    await expect(plan(tampered)).rejects.toThrow(/corrupt/);
    const huge = `sha256:${'2'.repeat(64)}`;
    writeFileSync(join(layoutDir, 'blobs/sha256', huge.slice(7)), Buffer.alloc(5 * 1024 * 1024, 0x20));
    await expect(plan(huge)).rejects.toThrow(/limit/);

    const cfg = { mediaType: 'application/vnd.oci.image.config.v1+json', ...putBlob(layoutDir, '{}') };
    const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: a.layers[0], size: 1 };
    const m = (x: object): string => putBlob(layoutDir, JSON.stringify(x)).digest;
    await expect(plan(m({ schemaVersion: 2, config: cfg, layers: [{ ...layer, digest: 'sha256:../../x' }] }))).rejects.toThrow(/invalid digest/);
    await expect(plan(m({ schemaVersion: 2, config: cfg, layers: [layer] }))).rejects.toThrow(/has \d+ bytes, the manifest says 1/);
    await expect(plan(m({ schemaVersion: 2, config: cfg, layers: 'nope' }))).rejects.toThrow(/not a valid image manifest/);
    await expect(plan(m({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }))).rejects.toThrow(/image index/);
    await expect(plan(m({ schemaVersion: 2, config: cfg, layers: [{ ...layer, mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip' }] }))).rejects.toThrow(/cannot import/);
    await expect(plan(putBlob(layoutDir, 'not json').digest)).rejects.toThrow(/not valid JSON/);
  });

  test('a blob that shrinks after planning fails the stream instead of corrupting the tar', async () => {
    const dir = join(tmp.path, 'shrink');
    const img = writeOciImage(dir, { name: 'd:1', layers: [await makeLayerTar([{ path: 'f', content: randomBytes(100_000) }])], cmd: ['/f'] });
    const plan = await planDockerArchive(dir, [{ manifestDigest: img.manifestDigest, repoTags: [] }]);
    truncateSync(join(dir, 'blobs/sha256', img.layers[0]!.slice(7)), 10);
    await expect(readTar(streamDockerArchive(plan))).rejects.toThrow(`blobs/sha256/${img.layers[0]!.slice(7)}: 10 bytes, the manifest records`);
  });

  test('a blob whose bytes change after planning fails the stream naming it, before its entry completes or manifest.json is written', async () => {
    const dir = join(tmp.path, 'changed');
    const img = writeOciImage(dir, { name: 'f:1', layers: [await makeLayerTar([{ path: 'f', content: randomBytes(3 << 20) }])], cmd: ['/f'] });
    const plan = await planDockerArchive(dir, [{ manifestDigest: img.manifestDigest, repoTags: [] }], { labelPrefix: 'images/' });
    const file = join(dir, 'blobs/sha256', img.layers[0]!.slice(7));
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 0x01;
    writeFileSync(file, bytes);
    const seen: string[] = [];
    const extract = tar.extract();
    const stream = streamDockerArchive(plan);
    const failed = new Promise<Error>((resolve) => stream.on('error', resolve));
    stream.pipe(extract);
    const reading = (async () => {
      for await (const e of extract) {
        let n = 0;
        for await (const c of e) n += (c as Buffer).length;
        seen.push(`${e.header.name}:${n === (e.header.size ?? 0) ? 'whole' : 'partial'}`);
      }
    })().catch(() => undefined);
    const err = await failed;
    extract.destroy();
    await reading;
    expect(err.message).toContain(`images/blobs/sha256/${img.layers[0]!.slice(7)}: sha256 `);
    expect(seen).not.toContain(`blobs/sha256/${img.layers[0]!.slice(7)}:whole`);
    expect(seen.some((s) => s.startsWith('manifest.json'))).toBe(false);
  });

  test('destroying the stream early stops reading without errors', async () => {
    const dir = join(tmp.path, 'big');
    const img = writeOciImage(dir, { name: 'e:1', layers: [await makeLayerTar([{ path: 'f', content: randomBytes(8 << 20) }])], cmd: ['/f'] });
    const plan = await planDockerArchive(dir, [{ manifestDigest: img.manifestDigest, repoTags: [] }]);
    const stream = streamDockerArchive(plan);
    let seen = 0;
    const errors: unknown[] = [];
    stream.on('error', (e) => errors.push(e));
    await new Promise<void>((resolve) => {
      stream.on('data', (c: Buffer) => {
        seen += c.length;
        stream.destroy();
      });
      stream.on('close', resolve);
    });
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(plan.totalBytes);
    expect(errors).toEqual([]);
  });
});
