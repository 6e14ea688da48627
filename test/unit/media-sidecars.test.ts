import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import type { Progress } from '../../src/main/jobs/progress';
import { HashPool } from '../../src/main/hash/hash-pool';
import { readLabel, writeLabel } from '../../src/main/media/label';
import { fillVolume, remainingWork } from '../../src/main/media/plan';
import { assembleBundle, verifyVolumes } from '../../src/main/media/read';
import { writeVolumes } from '../../src/main/media/write';
import { tempDir } from '../harness/temp';

// approvals/ and custody/ are not in the manifest; every volume carries them whole ("sidecars").
const MiB = 1024 * 1024;
const pool = new HashPool(2);
afterAll(() => pool.close());
let t: ReturnType<typeof tempDir>;
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

const progress = (): Progress => ({ signal: new AbortController().signal, phase: () => undefined, item: () => undefined, itemState: () => undefined, advance: () => undefined });
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const SIDECARS = { 'approvals/ab12-20261123T060000000Z.json': '{"decision":"approve"}', 'custody/events.jsonl': '{"seq":1}\n{"seq":2}\n', 'custody/head.json': '{"count":2}' };

async function bundle(): Promise<{ dir: string; manifest: BundleManifest }> {
  const dir = join(t.path, 'bundle');
  mkdirSync(join(dir, 'models/org--m'), { recursive: true });
  const files = { 'a.bin': randomBytes(3 * MiB), 'b.bin': randomBytes(5 * MiB) };
  const list = Object.entries(files).map(([path, b]) => {
    writeFileSync(join(dir, 'models/org--m', path), b);
    return { path, size: b.length, sha256: sha(b) };
  });
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT, bundleId: '2c4e6a80-1b3d-4f5a-8c7e-9d0f1a2b3c4d', createdAt: '2026-11-23T06:00:00.000+00:00', createdBy: { actor: 'op', station: 's' }, tool: { name: 'ferry', version: '0.1.0' },
    artifacts: [{ kind: 'model', name: 'org/m', source: 'http://127.0.0.1/org/m', hubUrl: 'http://127.0.0.1', repo: 'org/m', requestedRevision: 'main', revision: 'd'.repeat(40), dir: 'models/org--m', size: 8 * MiB, files: list }],
    files: list.map((f) => ({ ...f, path: `models/org--m/${f.path}` })),
  };
  await writeManifest(dir, manifest);
  for (const [p, text] of Object.entries(SIDECARS)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return { dir, manifest };
}

const folders = (n: number): string[] => Array.from({ length: n }, (_, i) => {
  const d = join(t.path, `vol${i + 1}`);
  mkdirSync(d);
  return d;
});

async function written(): Promise<string[]> {
  const { dir } = await bundle();
  const vols = folders(3);
  const r = await writeVolumes(dir, vols, { fs: 'fat32', volumeSize: 5 * MiB, progress: progress() });
  expect(r.complete).toBe(true);
  return r.volumes.map((v) => v.dir);
}

describe('approvals/ and custody/ on media', () => {
  it('puts every approvals/custody file on every volume, lists it in the label, and assembles it', async () => {
    const vols = await written();
    expect(vols.length).toBeGreaterThanOrEqual(2);
    const want = Object.entries(SIDECARS).map(([path, text]) => ({ path, size: Buffer.byteLength(text), sha256: sha(Buffer.from(text)) }));
    for (const v of vols) {
      expect((await readLabel(v)).sidecars).toEqual(want);
      for (const [p, text] of Object.entries(SIDECARS)) expect(readFileSync(join(v, p), 'utf8')).toBe(text);
    }
    const shuffled = [...vols].reverse();
    const ok = await verifyVolumes(shuffled, pool, progress());
    expect(ok.problems).toEqual([]);
    const out = join(t.path, 'out');
    await assembleBundle(shuffled, out, progress());
    for (const [p, text] of Object.entries(SIDECARS)) expect(readFileSync(join(out, p), 'utf8')).toBe(text);
  });

  it('names the volume of a tampered, missing or unlisted approvals file, and refuses to assemble', async () => {
    const vols = await written();
    const victim = 'approvals/ab12-20261123T060000000Z.json';
    writeFileSync(join(vols[1]!, victim), '{"decision":"APPROVE"}'); // same size, other bytes
    const v = await verifyVolumes(vols, pool, progress());
    expect(v.problems).toEqual([expect.objectContaining({ kind: 'mismatch', volume: `2 of ${vols.length} (${vols[1]})`, path: victim })]);
    await expect(assembleBundle(vols, join(t.path, 'out'), progress())).rejects.toThrow(new RegExp(`volume 2 of ${vols.length} .*${victim} does not match its label`));
    expect(existsSync(join(t.path, 'out.partial'))).toBe(false);
    unlinkSync(join(vols[1]!, victim));
    writeFileSync(join(vols[0]!, 'approvals/forged.json'), '{}');
    const w = await verifyVolumes(vols, pool, progress());
    expect(w.problems.map((p) => `${p.kind} ${p.volume} ${p.path}`)).toEqual([
      `extra 1 of ${vols.length} (${vols[0]}) approvals/forged.json`,
      `missing 2 of ${vols.length} (${vols[1]}) ${victim}`,
    ]);
  });

  it('names volumes whose labels list a different set of approvals/custody files', async () => {
    const vols = await written();
    const l = await readLabel(vols[0]!);
    await writeLabel(vols[0]!, { ...l, sidecars: l.sidecars!.filter((s) => !s.path.startsWith('approvals/')) });
    unlinkSync(join(vols[0]!, 'approvals/ab12-20261123T060000000Z.json'));
    const v = await verifyVolumes(vols, pool, progress());
    expect(v.problems).toEqual([expect.objectContaining({ kind: 'sidecars', volume: `1 of ${vols.length} (${vols[0]})`, path: 'approvals/ab12-20261123T060000000Z.json', detail: expect.stringMatching(/lacks approvals\/ab12.*all volumes of one write carry the same/) })]);
    await expect(assembleBundle(vols, join(t.path, 'out'), progress())).rejects.toThrow(/Cannot assemble: 1 of .*other approvals\/custody files than volume 2/);
  });

  it('refuses a symlink under approvals/ before writing anything', async () => {
    const { dir } = await bundle();
    symlinkSync('/etc/passwd', join(dir, 'approvals/passwd.json'));
    const [a] = folders(1);
    await expect(writeVolumes(dir, [a!], { fs: 'ext4', progress: progress() })).rejects.toThrow(/approvals\/passwd\.json is a symlink, not a regular file/);
    expect(existsSync(join(a!, 'FERRY-VOLUME.json'))).toBe(false);
  });

  it('plans room for the sidecars on each volume', async () => {
    const { manifest } = await bundle();
    const opts = { fs: 'fat32' as const, volumeSize: 5 * MiB, manifestBytes: 1000, reserve: 0, minSplit: 1 };
    const without = fillVolume(remainingWork(manifest), 5 * MiB, opts).entries.reduce((a, e) => a + e.size, 0);
    const withSc = fillVolume(remainingWork(manifest), 5 * MiB, { ...opts, sidecars: [{ path: 'custody/events.jsonl', size: 100 * 1024 }] }).entries.reduce((a, e) => a + e.size, 0);
    expect(without - withSc).toBeGreaterThanOrEqual(100 * 1024);
  });
});
