import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobItem } from '../../src/shared/api';
import { walk } from '../../src/main/bundle/walk';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import type { Progress } from '../../src/main/jobs/progress';
import { HashPool } from '../../src/main/hash/hash-pool';
import { isoVolumeId, makeIso } from '../../src/main/media/iso';
import { readLabel, writeLabel } from '../../src/main/media/label';
import { assembleBundle, verifyVolumes } from '../../src/main/media/read';
import { writeVolumes } from '../../src/main/media/write';
import { CanceledError } from '../../src/shared/errors';
import { tempDir } from '../harness/temp';

const MiB = 1024 * 1024;
const pool = new HashPool(2);
afterAll(() => pool.close());
let t: ReturnType<typeof tempDir>;
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

function progress(signal = new AbortController().signal, onAdvance?: () => void): Progress & { items: Map<string, JobItem> } {
  const items = new Map<string, JobItem>();
  return {
    items,
    signal,
    phase: () => undefined,
    item: (id, label, bytesTotal) => void items.set(id, { id, label, bytesTotal, bytesDone: 0, state: 'pending' }),
    itemState: (id, state) => void (items.get(id)!.state = state),
    advance: () => onAdvance?.(),
  };
}

async function bundle(): Promise<{ dir: string; manifest: BundleManifest }> {
  const dir = join(t.path, 'bundle');
  mkdirSync(join(dir, 'models/org--m'), { recursive: true });
  const files = { 'a.bin': randomBytes(3 * MiB), 'b.bin': randomBytes(5 * MiB), 'c.json': randomBytes(100) };
  const list = Object.entries(files).map(([path, b]) => {
    writeFileSync(join(dir, 'models/org--m', path), b);
    return { path, size: b.length, sha256: createHash('sha256').update(b).digest('hex') };
  });
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT, bundleId: '2c4e6a80-1b3d-4f5a-8c7e-9d0f1a2b3c4d', createdAt: '2026-11-23T06:00:00.000+00:00', createdBy: { actor: 'op', station: 's' }, tool: { name: 'ferry', version: '0.1.0' },
    artifacts: [{ kind: 'model', name: 'org/m', source: 'http://127.0.0.1/org/m', hubUrl: 'http://127.0.0.1', repo: 'org/m', requestedRevision: 'main', revision: 'd'.repeat(40), dir: 'models/org--m', size: 8 * MiB + 100, files: list }],
    files: list.map((f) => ({ ...f, path: `models/org--m/${f.path}` })),
  };
  await writeManifest(dir, manifest);
  return { dir, manifest };
}

const folders = (n: number): string[] => Array.from({ length: n }, (_, i) => {
  const d = join(t.path, `vol${i + 1}`);
  mkdirSync(d);
  return d;
});

describe('media write and read on folders', () => {
  it('asks for the next target when the given ones run out, and reports what is left when none comes', async () => {
    const { dir } = await bundle();
    const [a, b, c] = folders(3);
    const asked: number[] = [];
    const r = await writeVolumes(dir, [a!], { fs: 'ext4', volumeSize: 4 * MiB, progress: progress(), onNeedNextTarget: async (need) => (asked.push(need.volume), need.volume === 2 ? b : undefined) });
    expect(asked).toEqual([2, 3]);
    expect(r.complete).toBe(false);
    expect(r.remaining!.bytes).toBeGreaterThan(0);
    expect(r.volumes.map((v) => v.last)).toEqual([false, false]);
    const v = await verifyVolumes([a!, b!], pool, progress());
    expect(v.ok).toBe(false);
    expect(v.problems.some((p) => p.kind === 'missing-volume' || p.kind === 'missing')).toBe(true);
    expect(readdirSync(c!)).toEqual([]);
  });

  it('cancels cleanly: no temp files, the volume stays marked incomplete', async () => {
    const { dir } = await bundle();
    const [a] = folders(1);
    const ac = new AbortController();
    await expect(writeVolumes(dir, [a!], { fs: 'ext4', progress: progress(ac.signal, () => ac.abort()), signal: ac.signal })).rejects.toBeInstanceOf(CanceledError);
    expect((await walk(a!)).filter((e) => e.path.endsWith('.tmp'))).toEqual([]);
    expect((await readLabel(a!)).state).toBe('incomplete');
  });

  it('treats a volume as hostile: symlinks, extra files and foreign labels are named', async () => {
    const { dir, manifest } = await bundle();
    const [a, b] = folders(2);
    await writeVolumes(dir, [a!], { fs: 'ext4', progress: progress() });
    writeFileSync(join(a!, 'models/org--m/evil.sh'), 'x');
    symlinkSync('/etc', join(a!, 'models/etc'));
    mkdirSync(join(b!, 'models'), { recursive: true });
    const foreign = await readLabel(a!);
    await writeLabel(b!, { ...foreign, bundleId: '9f8e7d6c-5b4a-4321-8fed-cba987654321', volumeId: '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d' });
    const v = await verifyVolumes([a!, b!], pool, progress());
    expect(v.bundleId).toBe(manifest.bundleId);
    const kinds = v.problems.map((p) => `${p.kind} ${p.path}`);
    expect(kinds).toContain('extra models/org--m/evil.sh');
    expect(kinds).toContain('unsafe-path models/etc');
    expect(kinds).toContain('other-bundle FERRY-VOLUME.json');
  });

  it('names a file missing from a volume and a damaged manifest copy', async () => {
    const { dir } = await bundle();
    const [a, b] = folders(2);
    const r = await writeVolumes(dir, [a!, b!], { fs: 'fat32', volumeSize: 6 * MiB, progress: progress() });
    expect(r.volumes).toHaveLength(2);
    const gone = r.volumes[1]!.files[0]!;
    const name = gone.part ? `${gone.path}.part${String(gone.part.index).padStart(4, '0')}` : gone.path;
    renameSync(join(b!, name), join(t.path, 'moved'));
    await expect(assembleBundle([a!, b!], join(t.path, 'out'), progress())).rejects.toThrow(/volume 2 of 2 .*missing or not a regular file/);
    expect(existsSync(join(t.path, 'out.partial'))).toBe(false);
    writeFileSync(join(a!, 'manifest.json'), '{}');
    const v = await verifyVolumes([a!, b!], pool, progress());
    expect(v.problems).toContainEqual(expect.objectContaining({ kind: 'missing', volume: `2 of 2 (${b})`, path: name }));
    expect(v.problems).toContainEqual(expect.objectContaining({ kind: 'mismatch', volume: `1 of 2 (${a})`, path: 'manifest.json' }));
    await expect(assembleBundle([a!, b!], join(t.path, 'out'), progress())).rejects.toThrow(/Cannot assemble: 1 of 2 .*manifest.json: sha256/);
  });

  it('takes a file that reads back wrong off the volume and writes it again on the next', async () => {
    const { dir } = await bundle();
    const [a, b] = folders(2);
    let lied = false;
    const flaky = {
      hashFile: async (path: string, o: { signal?: AbortSignal; onBytes?: (n: number) => void }) => {
        const h = await pool.hashFile(path, o);
        if (!lied && path.endsWith('b.bin')) {
          lied = true;
          return { ...h, sha256: '0'.repeat(64) };
        }
        return h;
      },
    } as unknown as HashPool;
    const r = await writeVolumes(dir, [a!, b!], { fs: 'ext4', progress: progress(), pool: flaky });
    expect(r.complete).toBe(true);
    expect(r.volumes[0]).toMatchObject({ state: 'incomplete', readBack: { ok: false, mismatches: ['models/org--m/b.bin'] } });
    expect(r.volumes[0]!.note).toContain('read-back mismatch on models/org--m/b.bin');
    expect(existsSync(join(a!, 'models/org--m/b.bin'))).toBe(false);
    expect(r.volumes[1]!.files.map((f) => f.path)).toEqual(['models/org--m/b.bin']);
    expect(r.volumes[1]).toMatchObject({ volume: 2, count: 2, last: true, state: 'complete' });
    expect((await verifyVolumes([b!, a!], pool, progress())).problems).toEqual([]);
    await assembleBundle([b!, a!], join(t.path, 'out'), progress());
  });

  it('makes an ISO image per volume with xorriso', async () => {
    const calls: string[][] = [];
    const { dir } = await bundle();
    const [a] = folders(1);
    await writeVolumes(dir, [a!], { fs: 'iso9660', progress: progress() });
    const out = join(t.path, 'v1.iso');
    const r = await makeIso(a!, out, async (cmd, args) => {
      calls.push([cmd, ...args]);
      if (args.includes('-o')) writeFileSync(args[args.indexOf('-o') + 1]!, 'iso');
      return '';
    });
    expect(r.volumeId).toBe(isoVolumeId('2c4e6a80-1b3d-4f5a-8c7e-9d0f1a2b3c4d', 1));
    expect(r.volumeId).toBe('FERRY_2C4E6A80_001');
    expect(calls[1]).toEqual(['xorriso', '-as', 'mkisofs', '-quiet', '-J', '-joliet-long', '-R', '-V', 'FERRY_2C4E6A80_001', '-o', `${out}.tmp`, a]);
    expect(existsSync(out)).toBe(true);
  });
});
