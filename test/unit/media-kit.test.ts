import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/main/bundle/manifest-io';
import { verifyBundle } from '../../src/main/bundle/verify';
import type { Progress } from '../../src/main/jobs/progress';
import { HashPool } from '../../src/main/hash/hash-pool';
import { chooseMediaKit, type MediaKit } from '../../src/main/media/kit-media';
import { readLabel } from '../../src/main/media/label';
import { planVolumes } from '../../src/main/media/plan';
import { assembleBundle, verifyVolumes } from '../../src/main/media/read';
import { writeVolumes } from '../../src/main/media/write';
import { tempDir } from '../harness/temp';
import { flipByte, makeFakeKit, makeSmallBundle } from './media-kit-fixture';

// The offline kit on media, on plain folders: volume 1 carries ferry/ whole, its label lists it,
// verify checks it against kit.json, assemble keeps it. (Loop devices: test/integration/media-kit.test.ts.)

const MiB = 1024 * 1024;
const pool = new HashPool(2);
const t = tempDir('ferry-media-kit-');
afterAll(async () => {
  await pool.close();
  t.cleanup();
});

const progress = (): Progress => ({ signal: new AbortController().signal, phase() {}, item() {}, itemState() {}, advance() {} });
const vol = (name: string): string => {
  const d = join(t.path, name);
  mkdirSync(d, { recursive: true });
  return d;
};

let bundle: string;
let kit: MediaKit;
let fake: ReturnType<typeof makeFakeKit>;
beforeAll(async () => {
  bundle = join(t.path, 'bundle');
  await makeSmallBundle(bundle, '3a0c6c3e-8d41-4c39-9a57-0d6f2b1e4c21', [300, 1200 * 1024, 1500 * 1024]);
  fake = makeFakeKit(join(t.path, 'kit'), { nodeBytes: 700 * 1024 });
  kit = await chooseMediaKit(bundle, { kitDir: fake.dir, dataDir: join(t.path, 'data') });
});

describe('the offline kit on media (folders)', () => {
  it('plans the kit whole on volume 1, and says with sizes when volume 1 cannot hold it', async () => {
    const { manifest } = await readManifest(bundle);
    expect(kit.sha256).toBe(fake.sha256);
    expect(kit.entries[0]).toMatchObject({ path: 'ferry/kit.json', sha256: fake.sha256 });
    const without = planVolumes(manifest, { fs: 'ext4', volumeSize: 2.5 * MiB, reserve: 0 });
    const withKit = planVolumes(manifest, { fs: 'ext4', volumeSize: 2.5 * MiB, reserve: 0, kit: kit.entries });
    expect(withKit.kit).toEqual({ files: 6, bytes: kit.bytes });
    expect(without.kit).toBeUndefined();
    // The kit takes room on volume 1 only: volume 1 holds fewer bundle bytes, later volumes the same.
    expect(withKit.volumes[0]!.bytes).toBeLessThan(without.volumes[0]!.bytes);
    expect(withKit.volumes[0]!.bytes + kit.bytes).toBeLessThanOrEqual(2.5 * MiB);
    expect(() => planVolumes(manifest, { fs: 'ext4', volumeSize: [512 * 1024, 4 * MiB], reserve: 0, kit: kit.entries })).toThrow(
      /Volume 1 \(512 KiB usable\) cannot hold the offline kit: the kit is .+ in 6 files .*never split/,
    );
  });

  it('writes ferry/ onto volume 1 only, lists it in the label, and the volumes verify', async () => {
    const vols = [vol('a1'), vol('a2')];
    const r = await writeVolumes(bundle, vols, { fs: 'ext4', volumeSize: 2 * MiB, reserve: 0, kit, progress: progress(), pool });
    expect(r.complete).toBe(true);
    expect(r.volumes.length).toBeGreaterThanOrEqual(2);
    expect(r.volumes[0]!.kit).toMatchObject({ dir: 'ferry', sha256: fake.sha256, version: '0.1.0', platform: 'linux/amd64', nodeVersion: '22.14.0', files: 5 });
    expect(r.volumes[1]!.kit).toBeUndefined();
    expect(readFileSync(join(vols[0]!, 'ferry/kit.json')).equals(readFileSync(join(fake.dir, 'kit.json')))).toBe(true);
    expect(statSync(join(vols[0]!, 'ferry/ferry')).mode & 0o111).not.toBe(0);
    expect(existsSync(join(vols[1]!, 'ferry'))).toBe(false);
    const label = await readLabel(vols[0]!);
    expect(label.kit).toMatchObject({ sha256: fake.sha256, dir: 'ferry' });
    expect(label.kitFiles!.map((f) => f.path).sort()).toEqual(['ferry/LICENSES/node.txt', 'ferry/app/cli.cjs', 'ferry/app/start.cjs', 'ferry/ferry', 'ferry/kit.json', 'ferry/node/bin/node']);
    expect((await readLabel(vols[1]!)).kit).toBeUndefined();
    const v = await verifyVolumes(vols, pool, progress());
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.volumes[0]!.kit?.sha256).toBe(fake.sha256);
  });

  it('fails verify naming the kit file when a byte flips, an unlisted file appears, or kit.json is swapped', async () => {
    const vols = [vol('b1'), vol('b2')];
    await writeVolumes(bundle, vols, { fs: 'ext4', volumeSize: 2 * MiB, reserve: 0, kit, progress: progress(), pool });
    flipByte(join(vols[0]!, 'ferry/app/cli.cjs'), 100);
    let v = await verifyVolumes(vols, pool, progress());
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([expect.objectContaining({ kind: 'kit', path: 'ferry/app/cli.cjs', volume: expect.stringMatching(/^1 of \d/) })]);
    flipByte(join(vols[0]!, 'ferry/app/cli.cjs'), 100);
    writeFileSync(join(vols[0]!, 'ferry/app/evil.cjs'), 'require("child_process")');
    v = await verifyVolumes(vols, pool, progress());
    expect(v.problems).toContainEqual(expect.objectContaining({ kind: 'extra', path: 'ferry/app/evil.cjs' }));
    rmSync(join(vols[0]!, 'ferry/app/evil.cjs'));
    // A kit.json edited consistently (another file list) is not the kit the label names.
    const kj = join(vols[0]!, 'ferry/kit.json');
    const original = readFileSync(kj);
    writeFileSync(kj, original.toString().replace('"builtAt": "2026-12-02T09:00:00.000Z"', '"builtAt": "2026-12-02T09:00:01.000Z"'));
    v = await verifyVolumes(vols, pool, progress());
    expect(v.problems).toContainEqual(expect.objectContaining({ kind: 'mismatch', path: 'ferry/kit.json', detail: expect.stringMatching(/label says/) }));
    writeFileSync(kj, original);
    expect((await verifyVolumes(vols, pool, progress())).ok).toBe(true);
  });

  it('assembles the kit into the bundle folder, where plain verify checks it against kit.json', async () => {
    const vols = [vol('c1'), vol('c2')];
    await writeVolumes(bundle, vols, { fs: 'ext4', volumeSize: 2 * MiB, reserve: 0, kit, progress: progress(), pool });
    const out = join(t.path, 'assembled');
    const a = await assembleBundle([...vols].reverse(), out, progress());
    expect(a.kit?.sha256).toBe(fake.sha256);
    expect(readFileSync(join(out, 'ferry/node/bin/node')).equals(readFileSync(join(fake.dir, 'node/bin/node')))).toBe(true);
    expect(statSync(join(out, 'ferry/node/bin/node')).mode & 0o111).not.toBe(0);
    expect((await verifyBundle(out, pool, progress())).problems).toEqual([]);
    flipByte(join(out, 'ferry/app/cli.cjs'));
    const bad = await verifyBundle(out, pool, progress());
    expect(bad.ok).toBe(false);
    expect(bad.problems).toEqual([expect.objectContaining({ kind: 'mismatch', path: 'ferry/app/cli.cjs', detail: expect.stringMatching(/^offline kit: /) })]);
  });

  it('refuses to assemble from a volume whose kit file differs from its label, naming it', async () => {
    const vols = [vol('d1'), vol('d2')];
    await writeVolumes(bundle, vols, { fs: 'ext4', volumeSize: 2 * MiB, reserve: 0, kit, progress: progress(), pool });
    flipByte(join(vols[0]!, 'ferry/LICENSES/node.txt'));
    await expect(assembleBundle(vols, join(t.path, 'never'), progress())).rejects.toThrow(/volume 1 of \d+ \(.*\): ferry\/LICENSES\/node\.txt does not match its label/);
    expect(existsSync(join(t.path, 'never'))).toBe(false);
    expect(existsSync(join(t.path, 'never.partial'))).toBe(false);
  });

  it('without a kit nothing changes: no ferry/, no kit in the label', async () => {
    const vols = [vol('e1'), vol('e2')];
    const r = await writeVolumes(bundle, vols, { fs: 'ext4', volumeSize: 2 * MiB, reserve: 0, progress: progress(), pool });
    expect(r.volumes[0]!.kit).toBeUndefined();
    expect(existsSync(join(vols[0]!, 'ferry'))).toBe(false);
    expect((await readLabel(vols[0]!)).kitFiles).toBeUndefined();
  });

  it('a write whose volume 1 cannot hold the kit stops before writing, with sizes', async () => {
    const d = vol('f1');
    await expect(writeVolumes(bundle, [d], { fs: 'ext4', volumeSize: 600 * 1024, reserve: 0, kit, progress: progress(), pool })).rejects.toThrow(
      /Volume 1 \(.*f1, 600 KiB usable\) cannot hold the offline kit: the kit is .* in 6 files/,
    );
  });
});
