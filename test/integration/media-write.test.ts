import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobItem } from '../../src/shared/api';
import { walk } from '../../src/main/bundle/walk';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT, type BundleFile, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import { verifyBundle } from '../../src/main/bundle/verify';
import type { Progress } from '../../src/main/jobs/progress';
import { HashPool } from '../../src/main/hash/hash-pool';
import { readLabel } from '../../src/main/media/label';
import { assembleBundle, verifyVolumes } from '../../src/main/media/read';
import { writeVolumes, type WriteResult } from '../../src/main/media/write';
import { createLoopVolume, type LoopVolume } from '../harness/loop-media';
import { tempDir } from '../harness/temp';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const pool = new HashPool(2);
const t = tempDir('ferry-media-');
const loops: LoopVolume[] = [];
afterAll(async () => {
  for (const l of loops.splice(0)) await l.stop();
  await pool.close();
  t.cleanup();
});

function progress(): Progress & { items: Map<string, JobItem> } {
  const items = new Map<string, JobItem>();
  return {
    items,
    signal: new AbortController().signal,
    phase: () => undefined,
    item: (id, label, bytesTotal) => void items.set(id, { id, label, bytesTotal, bytesDone: items.get(id)?.bytesDone ?? 0, state: 'pending' }),
    itemState: (id, state) => void (items.get(id)!.state = state),
    advance: (n, id) => void (id && (items.get(id)!.bytesDone += n)),
  };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A hand-made bundle: one image (4 blobs in an OCI layout) and one model; sizes in bytes. */
async function makeBundle(dir: string, model: Record<string, number | Buffer>, layers: number[]): Promise<BundleManifest> {
  const files: BundleFile[] = [];
  const put = (rel: string, b: Buffer): BundleFile => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), b);
    const f = { path: rel, size: b.length, sha256: sha(b) };
    files.push(f);
    return f;
  };
  const config = Buffer.from('{"config":{}}');
  const layerBytes = layers.map((n) => randomBytes(n));
  const desc = (mediaType: string, b: Buffer): { mediaType: string; digest: string; size: number } => ({ mediaType, digest: `sha256:${sha(b)}`, size: b.length });
  const imageManifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: desc('application/vnd.oci.image.config.v1+json', config),
      layers: layerBytes.map((b) => desc('application/vnd.oci.image.layer.v1.tar', b)),
    }),
  );
  const blobs = [imageManifest, config, ...layerBytes].map((b) => put(`images/blobs/sha256/${sha(b)}`, b));
  put('images/oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  put('images/index.json', Buffer.from('{"schemaVersion":2,"manifests":[]}'));
  const modelFiles = Object.entries(model).map(([name, v]) => {
    const f = put(`models/org--m/${name}`, typeof v === 'number' ? randomBytes(v) : v);
    return { ...f, path: name };
  });
  const d = (f: BundleFile): string => `sha256:${f.sha256}`;
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    bundleId: '6f1c1f0e-2d5b-4a53-9a53-1f6f0e6b7c11',
    createdAt: '2026-11-23T06:00:00.000+00:00',
    createdBy: { actor: 'op', station: 's' },
    tool: { name: 'ferry', version: '0.1.0' },
    artifacts: [
      { kind: 'image', name: '127.0.0.1:5000/gw:1', source: '127.0.0.1:5000/gw:1', registry: '127.0.0.1:5000', repository: 'gw', tag: '1', digest: d(blobs[0]!), mediaType: 'application/vnd.oci.image.manifest.v1+json', platform: 'linux/amd64', size: imageManifest.length, config: d(blobs[1]!), layers: blobs.slice(2).map(d) },
      { kind: 'model', name: 'org/m', source: 'http://127.0.0.1/org/m', hubUrl: 'http://127.0.0.1', repo: 'org/m', requestedRevision: 'main', revision: 'a'.repeat(40), dir: 'models/org--m', size: modelFiles.reduce((a, f) => a + f.size, 0), files: modelFiles },
    ],
    files: files.sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
  await writeManifest(dir, manifest);
  return manifest;
}

function flipByte(file: string, at: number): void {
  const fd = openSync(file, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] = b[0]! ^ 0x20;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

const shuffle = <T>(a: T[]): T[] => [a[2]!, a[0]!, a[3]!, a[1]!, ...a.slice(4)];

describe('media write across several loop-device volumes', () => {
  let bundle: string;
  let manifest: BundleManifest;
  let targets: string[];
  let result: WriteResult;

  beforeAll(async () => {
    bundle = join(t.path, 'bundle');
    manifest = await makeBundle(bundle, { 'config.json': 700, 'model-00001-of-00002.safetensors': 38 * MiB, 'model-00002-of-00002.safetensors': 40 * MiB, 'tokenizer.json': 2 * MiB }, [14 * MiB, 9 * MiB]);
    // Planned at 40 MiB each; the second medium is far smaller than its planned share; the fifth stays unused.
    for (const size of [56, 24, 56, 56, 56]) loops.push(await createLoopVolume(size * MiB));
    targets = loops.map((l) => l.mountPoint);
  });

  it('fills the small medium, marks it incomplete and continues on the next target', async () => {
    const p = progress();
    result = await writeVolumes(bundle, targets, { fs: 'ext4', volumeSize: 40 * MiB, progress: p, pool, signal: p.signal });
    expect(result.complete).toBe(true);
    expect(result.bytes).toBe(manifest.files.reduce((a, f) => a + f.size, 0));
    expect(result.volumes.map((v) => v.state)).toEqual(['complete', 'incomplete', 'complete', 'complete']);
    expect(result.volumes[1]!.note).toContain(`${targets[1]} filled up (ENOSPC)`);
    for (const v of result.volumes) expect(v.readBack).toMatchObject({ ok: true, cacheDropped: true, mismatches: [] });
    expect(result.volumes.at(-1)).toMatchObject({ volume: 4, count: 4, last: true });
    expect(new Set(result.volumes.map((v) => v.volumeId)).size).toBe(4);
    expect(readdirSync(targets[4]!)).toEqual(['lost+found']);
    // The incomplete volume's label lists only what is fully there; no partial or temp file is left.
    const l2 = await readLabel(targets[1]!);
    expect(l2.state).toBe('incomplete');
    const onDisk = (await walk(targets[1]!)).filter((e) => e.kind === 'file').map((e) => e.path);
    expect(onDisk.filter((p) => p.endsWith('.tmp'))).toEqual([]);
    expect(onDisk.sort()).toEqual(['FERRY-VOLUME.json', 'manifest.json', ...l2.files.map((f) => (f.part ? `${f.path}.part${String(f.part.index).padStart(4, '0')}` : f.path))].sort());
    expect(result.volumes.flatMap((v) => v.files).some((f) => f.part)).toBe(true);
    expect(p.items.get('volume:1')).toMatchObject({ state: 'done' });
  });

  it('verifies and assembles the volumes given in shuffled order into a bundle verifyBundle accepts', async () => {
    const dirs = shuffle(targets.slice(0, 4));
    const v = await verifyVolumes(dirs, pool, progress());
    expect(v.problems).toEqual([]);
    expect(v).toMatchObject({ ok: true, bundleId: manifest.bundleId, count: 4 });
    expect(v.volumes.map((x) => x.index)).toEqual([1, 2, 3, 4]);
    const out = join(t.path, 'assembled');
    const a = await assembleBundle(dirs, out, progress());
    expect(a).toMatchObject({ bundleId: manifest.bundleId, files: manifest.files.length });
    expect(a.joined).toBeGreaterThan(0);
    const check = await verifyBundle(out, pool, progress());
    expect(check.problems).toEqual([]);
    expect(check.ok).toBe(true);
    expect(readdirSync(t.path)).not.toContain('assembled.partial');
  });

  it('names a missing volume and refuses to assemble without it', async () => {
    const dirs = [targets[3]!, targets[0]!, targets[1]!];
    const v = await verifyVolumes(dirs, pool, progress());
    expect(v.ok).toBe(false);
    expect(v.problems).toContainEqual(expect.objectContaining({ kind: 'missing-volume', volume: '3 of 4' }));
    expect(v.problems.filter((p) => p.kind === 'missing').length).toBeGreaterThan(0);
    await expect(assembleBundle(dirs, join(t.path, 'no'), progress())).rejects.toThrow(/volume 3 of 4 .*is not among the folders given/);
    const dup = await verifyVolumes([...targets.slice(0, 4), targets[2]!], pool, progress());
    expect(dup.problems).toContainEqual(expect.objectContaining({ kind: 'duplicate-volume', detail: expect.stringContaining('a copy of the same volume') }));
  });

  it('reports a flipped byte with the volume and the file', async () => {
    const label = await readLabel(targets[2]!);
    const victim = label.files.find((f) => f.size > MiB)!;
    const name = victim.part ? `${victim.path}.part${String(victim.part.index).padStart(4, '0')}` : victim.path;
    flipByte(join(targets[2]!, name), Math.floor(victim.size / 2));
    const v = await verifyVolumes(shuffle(targets.slice(0, 4)), pool, progress());
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([expect.objectContaining({ kind: 'mismatch', volume: `3 of 4 (${targets[2]})`, path: name })]);
    await expect(assembleBundle(targets.slice(0, 4), join(t.path, 'bad'), progress())).rejects.toThrow(new RegExp(`volume 3 of 4 .*${name.replace(/[.]/g, '\\.')}`));
    expect(readdirSync(t.path).filter((n) => n.startsWith('bad'))).toEqual([]);
  });
});

describe('media write with --fs fat32 and a 5 GiB model file', () => {
  it('a bundle file changed after the manifest: named as a damaged bundle, not retried on the next medium', async () => {
    const dir = join(t.path, 'damaged');
    await makeBundle(dir, { 'config.json': 300, 'weights.safetensors': 3 * MiB }, [1 * MiB]);
    flipByte(join(dir, 'models/org--m/weights.safetensors'), 1234);
    const folders = ['d1', 'd2'].map((v) => join(t.path, 'damaged-out', v));
    for (const f of folders) mkdirSync(f, { recursive: true });
    const err = await writeVolumes(dir, folders, { fs: 'ext4', progress: progress(), pool }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`${join(dir, 'models/org--m/weights.safetensors')} does not match its manifest sha256.`);
    expect(readdirSync(folders[1]!)).toEqual([]); // not written again on the next medium
  });

  it('keeps every file on the volume under 4 GiB and the 5 GiB file arrives whole', async () => {
    const dir = join(t.path, 'big');
    mkdirSync(join(dir, 'models/org--m'), { recursive: true });
    // A sparse 5 GiB file with markers every 256 MiB: cheap on disk, but parts out of order would change its hash.
    const big = join(dir, 'models/org--m/model.safetensors');
    const fd = openSync(big, 'w');
    for (let off = 0; off < 5 * GiB; off += 256 * MiB) writeSync(fd, Buffer.from(`marker@${off}`), 0, undefined, off);
    writeSync(fd, Buffer.from('end'), 0, undefined, 5 * GiB - 3);
    closeSync(fd);
    const h = await pool.hashFile(big);
    expect(h.size).toBe(5 * GiB);
    const modelFiles = [{ path: 'model.safetensors', size: h.size, sha256: h.sha256 }];
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT, bundleId: '0d2a6c8e-8f7b-4a8e-9d35-5c3f7b0e9a11', createdAt: '2026-11-23T06:00:00.000+00:00', createdBy: { actor: 'op', station: 's' }, tool: { name: 'ferry', version: '0.1.0' },
      artifacts: [{ kind: 'model', name: 'org/m', source: 'http://127.0.0.1/org/m', hubUrl: 'http://127.0.0.1', repo: 'org/m', requestedRevision: 'main', revision: 'b'.repeat(40), dir: 'models/org--m', size: h.size, files: modelFiles }],
      files: [{ ...modelFiles[0]!, path: 'models/org--m/model.safetensors' }],
    };
    await writeManifest(dir, manifest);
    const vol = await createLoopVolume(5 * GiB + 512 * MiB);
    loops.push(vol);
    const r = await writeVolumes(dir, [vol.mountPoint], { fs: 'fat32', progress: progress(), pool });
    expect(r.complete).toBe(true);
    expect(r.volumes).toHaveLength(1);
    expect(r.volumes[0]!.files.map((f) => f.part?.index)).toEqual([1, 2]);
    for (const e of await walk(vol.mountPoint)) expect(e.size, e.path).toBeLessThan(4 * GiB);
    const out = join(t.path, 'big-out');
    const a = await assembleBundle([vol.mountPoint], out, progress());
    expect(a).toMatchObject({ files: 1, joined: 1, bytes: 5 * GiB });
    // assembleBundle checked the joined file against the manifest before renaming it into place; check again independently.
    const check = await verifyBundle(out, pool, progress());
    expect(check).toMatchObject({ ok: true, checkedFiles: 1, checkedBytes: 5 * GiB });
    // Give the disk back now rather than at the end of the file.
    await vol.stop();
    rmSync(out, { recursive: true, force: true });
  }, 300_000);
});
