import { describe, expect, it } from 'vitest';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import { fsRules } from '../../src/main/media/fs-rules';
import { partFile } from '../../src/main/media/label';
import { planVolumes, remainingWork, type VolumePlan } from '../../src/main/media/plan';
import { FerryError } from '../../src/shared/errors';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function manifest(files: [string, number][]): BundleManifest {
  return {
    format: BUNDLE_FORMAT,
    bundleId: '6f1c1f0e-2d5b-4a53-9a53-1f6f0e6b7c11',
    createdAt: '2026-11-23T06:00:00.000+00:00',
    createdBy: { actor: 'op', station: 's' },
    tool: { name: 'ferry', version: '0.1.0' },
    artifacts: [],
    files: files.map(([path, size], i) => ({ path, size, sha256: i.toString(16).padStart(64, '0') })),
  };
}

/** Every file covered exactly once, in order, by whole entries or contiguous parts. */
function expectCovered(m: BundleManifest, plan: VolumePlan): void {
  const pieces = new Map<string, { offset: number; size: number; index?: number }[]>();
  for (const v of plan.volumes) {
    for (const e of v.entries) {
      pieces.set(e.path, [...(pieces.get(e.path) ?? []), { offset: e.part?.offset ?? 0, size: e.size, index: e.part?.index }]);
      if (e.part) expect(e.file).toBe(partFile(e.path, e.part.index));
      else expect(e.file).toBe(e.path);
    }
  }
  for (const f of m.files) {
    const ps = pieces.get(f.path)!;
    expect(ps, f.path).toBeDefined();
    let pos = 0;
    ps.forEach((p, i) => {
      expect(p.offset).toBe(pos);
      if (ps.length > 1) expect(p.index).toBe(i + 1);
      pos += p.size;
    });
    expect(pos).toBe(f.size);
  }
}

describe('planVolumes', () => {
  it('splits a 5 GiB file under fat32 into 2 parts, each under 4 GiB, with their own sizes', () => {
    const m = manifest([['models/org--m/model.safetensors', 5 * GiB], ['models/org--m/config.json', 700]]);
    const plan = planVolumes(m, { volumeSize: 16 * GiB, fs: 'fat32' });
    expect(plan.volumes).toHaveLength(1);
    const parts = plan.volumes[0]!.entries.filter((e) => e.part);
    expect(parts).toHaveLength(2);
    for (const p of parts) {
      expect(p.size).toBeLessThan(4 * GiB);
      expect(p.part!.count).toBe(2);
      expect(p.sha256).toBeUndefined();
    }
    expect(parts.map((p) => p.file)).toEqual(['models/org--m/model.safetensors.part0001', 'models/org--m/model.safetensors.part0002']);
    expect(plan.splitFiles).toBe(1);
    expectCovered(m, plan);
  });

  it('keeps the same 5 GiB file whole on ext4', () => {
    const m = manifest([['models/org--m/model.safetensors', 5 * GiB]]);
    const e = planVolumes(m, { volumeSize: 16 * GiB, fs: 'ext4' }).volumes[0]!.entries;
    expect(e).toEqual([{ path: 'models/org--m/model.safetensors', file: 'models/org--m/model.safetensors', size: 5 * GiB, sha256: m.files[0]!.sha256 }]);
  });

  it('splits large files across volume boundaries so media are filled', () => {
    const m = manifest([['a/1.bin', 60 * MiB], ['a/2.bin', 60 * MiB], ['a/3.bin', 30 * MiB], ['a/4.json', 100]]);
    const plan = planVolumes(m, { volumeSize: 64 * MiB, fs: 'ext4' });
    expect(plan.volumes).toHaveLength(3);
    for (const v of plan.volumes.slice(0, -1)) expect(v.bytes).toBeGreaterThan(62 * MiB);
    for (const v of plan.volumes) expect(v.bytes).toBeLessThanOrEqual(64 * MiB);
    expectCovered(m, plan);
    // The second file starts on volume 1 and continues on volume 2.
    expect(plan.volumes[0]!.entries.at(-1)).toMatchObject({ path: 'a/2.bin', part: { index: 1, count: 2, offset: 0 } });
    expect(plan.volumes[1]!.entries[0]).toMatchObject({ path: 'a/2.bin', part: { index: 2, count: 2 } });
  });

  it('does not split a small file into a tiny piece; a later file fills the gap (first fit)', () => {
    const m = manifest([['a/big', 63 * MiB], ['a/half-mib', 900 * KiB], ['a/tiny', 10 * KiB]]);
    const plan = planVolumes(m, { volumeSize: 64 * MiB, fs: 'ext4' });
    expect(plan.volumes[0]!.entries.map((e) => e.path)).toEqual(['a/big', 'a/tiny']);
    expect(plan.volumes[1]!.entries.map((e) => e.file)).toEqual(['a/half-mib']);
  });

  it('takes one size per volume, the last repeating, and is deterministic', () => {
    const m = manifest(Array.from({ length: 40 }, (_, i): [string, number] => [`f/${i}`, (i % 7) * 3 * MiB + 123]));
    const opts = { volumeSize: [20 * MiB, 50 * MiB], fs: 'fat32' as const };
    const a = planVolumes(m, opts);
    expect(a.volumes[0]!.capacity).toBe(20 * MiB);
    expect(a.volumes.slice(1).every((v) => v.capacity === 50 * MiB)).toBe(true);
    expect(planVolumes(m, opts)).toEqual(a);
    expectCovered(m, a);
    for (const v of a.volumes) expect(v.bytes).toBeLessThanOrEqual(v.capacity);
  });

  it('respects the fat32 limit in every part, whatever the volume size', () => {
    const m = manifest([['x/huge', 9 * GiB + 5]]);
    const plan = planVolumes(m, { volumeSize: 64 * GiB, fs: 'fat32' });
    const sizes = plan.volumes.flatMap((v) => v.entries.map((e) => e.size));
    expect(sizes).toHaveLength(3);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(fsRules('fat32').maxFileSize);
    expectCovered(m, plan);
  });

  it('continues a partly written file with the next part number', () => {
    const m = manifest([['a/1.bin', 60 * MiB], ['a/2.bin', 10 * MiB]]);
    const work = remainingWork(m, new Map([['a/1.bin', { covered: 40 * MiB, parts: 1 }]]));
    expect(work).toEqual([
      { path: 'a/1.bin', fileSize: 60 * MiB, sha256: m.files[0]!.sha256, offset: 40 * MiB, nextIndex: 2 },
      { path: 'a/2.bin', fileSize: 10 * MiB, sha256: m.files[1]!.sha256, offset: 0, nextIndex: 1 },
    ]);
    const plan = planVolumes(m, { volumeSize: 64 * MiB, fs: 'ext4' }, work, 2);
    expect(plan.volumes[0]!.index).toBe(2);
    expect(plan.volumes[0]!.entries[0]).toMatchObject({ file: 'a/1.bin.part0002', size: 20 * MiB, part: { index: 2, count: 2, offset: 40 * MiB } });
    expect(plan.volumes[0]!.entries[1]).toMatchObject({ file: 'a/2.bin', size: 10 * MiB });
  });

  it('refuses volumes too small for the manifest and label, naming the volume', () => {
    const m = manifest([['a/1', 10]]);
    expect(() => planVolumes(m, { volumeSize: 100 * KiB, fs: 'ext4' })).toThrow(/Volume 1 .*cannot hold manifest.json/);
  });

  it('refuses paths that collide on case-insensitive filesystems or with part names', () => {
    const m = manifest([['a/Model.bin', 1], ['a/model.bin', 1]]);
    expect(() => planVolumes(m, { volumeSize: 64 * MiB, fs: 'exfat' })).toThrow(FerryError);
    expect(() => planVolumes(m, { volumeSize: 64 * MiB, fs: 'ext4' })).not.toThrow();
    const clash = manifest([['a/x', 1], ['a/x.part0001', 1]]);
    expect(() => planVolumes(clash, { volumeSize: 64 * MiB, fs: 'ext4' })).toThrow(/clash/);
    const label = manifest([['FERRY-VOLUME.json', 1]]);
    expect(() => planVolumes(label, { volumeSize: 64 * MiB, fs: 'ext4' })).toThrow(/clashes/);
  });

  it('plans an empty file and a bundle of many small files', () => {
    const m = manifest([['e/empty', 0], ...Array.from({ length: 2000 }, (_, i): [string, number] => [`s/${String(i).padStart(4, '0')}`, 5000])]);
    const plan = planVolumes(m, { volumeSize: 8 * MiB, fs: 'fat32' });
    expectCovered(m, plan);
    expect(plan.splitFiles).toBe(0);
    expect(plan.volumes.length).toBeGreaterThan(1);
  });
});
