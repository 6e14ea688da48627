import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../shared/errors';
import { formatBytes } from '../../shared/format';
import { isoWithOffset } from '../core/clock';
import { readManifest } from '../bundle/manifest-io';
import { MANIFEST_FILE } from '../bundle/manifest-schema';
import type { Progress } from '../jobs/progress';
import type { HashPool } from '../hash/hash-pool';
import { copyRange, fsyncDir, isMediumFull } from './copy';
import { freeSpace, type CommandRunner } from './detect';
import { allocated, fsRules, type FsName } from './fs-rules';
import { LABEL_FILE, labelFileName, writeLabel, type LabelFile, type LabelKit, type VolumeLabel } from './label';
import { capacityOf, checkBundlePaths, fillVolume, kitTooLarge, planVolumes, remainingWork, volumeOverhead } from './plan';
import { readBackFiles, type ReadBack } from './readback';
import { checkKitPaths, labelKit, removeKit, writeKit, type MediaKit } from './kit-media';
import { checkSidecarPaths, collectSidecars, removeSidecars, sidecarEntries, writeSidecars } from './sidecars';
export type { ReadBack } from './readback';
import { prepareTarget, type PreparedTarget } from './target';
import { dirsOf, revert, sourceDamaged, writeEntry, type Session, type Undo } from './write-entry';

export interface WriteOptions {
  /** Filesystem rules to apply; default: each target's detected filesystem. */
  fs?: FsName;
  /** Usable bytes per volume (one per target, the last repeating); default: each target's free space. */
  volumeSize?: number | number[];
  reserve?: number;
  minSplit?: number;
  signal?: AbortSignal;
  progress: Progress;
  /** Hashes read-backs off the main thread when given. */
  pool?: HashPool;
  /** Asked for another mounted folder when the given targets run out; undefined stops. */
  onNeedNextTarget?: (need: { volume: number; files: number; bytes: number }) => Promise<string | undefined>;
  run?: CommandRunner;
  /** The offline kit to put on volume 1 under ferry/ (chooseMediaKit); absent: none. */
  kit?: MediaKit;
}

export interface VolumeWriteResult {
  volume: number;
  /** Volumes planned when this one was written (final on the last). */
  count: number;
  last: boolean;
  dir: string;
  volumeId: string;
  device?: string;
  mediaSerial?: string;
  fs: FsName;
  state: 'complete' | 'incomplete';
  note?: string;
  files: LabelFile[];
  bytes: number;
  readBack: ReadBack;
  /** The offline kit this volume carries under ferry/ (volume 1 of a write with the kit). */
  kit?: LabelKit;
}

export interface WriteResult {
  bundleId: string;
  manifestSha256: string;
  complete: boolean;
  volumes: VolumeWriteResult[];
  bytes: number;
  /** Targets that took nothing (full before the first file). */
  skipped: { dir: string; reason: string }[];
  /** What is left when the targets ran out. */
  remaining?: { files: number; bytes: number };
}

/** Targets in a row that take nothing before the write gives up (a prompt answering with full media). */
const MAX_SKIPS_IN_A_ROW = 3;

/**
 * Writes a bundle onto one or more mounted volumes. Each byte is hashed as it is written,
 * every file is fsynced and read back; a full medium leaves an `incomplete` label listing
 * what is complete, and the rest continues on the next target without starting over.
 * The bundle's approvals/ and custody/ files (not in the manifest) go whole onto every
 * volume, listed in its label as `sidecars`.
 */
export async function writeVolumes(bundleDir: string, targets: string[], options: WriteOptions): Promise<WriteResult> {
  const opts = { ...options, signal: options.signal ?? options.progress.signal };
  const p = opts.progress;
  p.phase('reading manifest');
  const { manifest, sha256 } = await readManifest(bundleDir);
  const manifestBytes = (await stat(join(bundleDir, MANIFEST_FILE))).size;
  const byPath = new Map(manifest.files.map((f) => [f.path, f]));
  const sidecars = await collectSidecars(bundleDir, manifest);
  const s: Session = { bundleDir, manifest, manifestSha256: sha256, manifestBytes, byPath, done: new Map(), fileHashes: new Map(), sidecars, ...(opts.kit ? { kit: opts.kit } : {}), opts };
  if (opts.fs) checkPaths(s, opts.fs);
  const result: WriteResult = { bundleId: manifest.bundleId, manifestSha256: sha256, complete: false, volumes: [], bytes: 0, skipped: [] };
  const used = new Set<string>();
  let skips = 0;
  for (let t = 0; ; t++) {
    const rest = remainingWork(manifest, s.done);
    if (rest.length === 0) break;
    const n = result.volumes.length + 1;
    const dir = targets[t] ?? (await opts.onNeedNextTarget?.({ volume: n, files: rest.length, bytes: rest.reduce((a, w) => a + w.fileSize - w.offset, 0) }));
    if (dir === undefined) {
      result.remaining = { files: rest.length, bytes: rest.reduce((a, w) => a + w.fileSize - w.offset, 0) };
      break;
    }
    const target = await prepareTarget(dir, used, opts.fs, opts.run, { bundleId: manifest.bundleId, manifestSha256: sha256 });
    checkPaths(s, target.fs);
    const capacity = opts.volumeSize !== undefined ? capacityOf(opts.volumeSize, t) : target.info.space.free;
    p.phase(`writing volume ${n} to ${target.dir}`);
    const v = await writeVolume(s, target, n, capacity, opts.volumeSize !== undefined ? capacityOf(opts.volumeSize, t + 1) : capacity);
    if (typeof v === 'string') {
      result.skipped.push({ dir: target.dir, reason: v });
      if (++skips >= MAX_SKIPS_IN_A_ROW) throw new FerryError(`${skips} targets in a row took nothing (last: ${target.dir}: ${v}).`, 'Use larger or empty media.');
    } else {
      skips = 0;
      result.volumes.push(v);
      result.bytes += v.bytes;
    }
  }
  result.complete = remainingWork(manifest, s.done).length === 0;
  return result;
}

/** Writes, fsyncs, reads back and labels one volume. Returns why when nothing could be written. */
async function writeVolume(s: Session, t: PreparedTarget, n: number, capacity: number, nextCapacity: number): Promise<VolumeWriteResult | string> {
  const { opts, manifest } = s;
  const p = opts.progress;
  // Volume 1 carries the kit whole: it must run from volume 1 alone.
  const kit = n === 1 ? s.kit : undefined;
  const kitFiles = kit?.entries;
  if (kit) {
    const needed = volumeOverhead(capacity, { fs: t.fs, volumeSize: capacity, manifestBytes: s.manifestBytes, reserve: opts.reserve, sidecars: s.sidecars, kit: kitFiles });
    if (needed > capacity) throw kitTooLarge(kit.entries, t.dir, capacity, needed);
  }
  const { entries } = fillVolume(remainingWork(manifest, s.done), capacity, { fs: t.fs, volumeSize: capacity, manifestBytes: s.manifestBytes, reserve: opts.reserve, minSplit: opts.minSplit, sidecars: s.sidecars, kit: kitFiles });
  if (entries.length === 0) return `${formatBytes(capacity)} cannot hold the manifest, the label and the next file`;
  const volumeId = randomUUID();
  const item = `volume:${n}`;
  p.item(item, `volume ${n} → ${t.dir}`, entries.reduce((a, e) => a + e.size, 0) + (kit?.bytes ?? 0));
  const undo: Undo[] = [];
  const notes: string[] = [];
  const label = (state: VolumeLabel['state'], note?: string): VolumeLabel => {
    const last = state === 'complete' && remainingWork(manifest, s.done).length === 0;
    return {
      format: 'ferry.volume.v1', bundleId: manifest.bundleId, manifestSha256: s.manifestSha256, volumeId,
      volume: { index: n, count: last ? n : n + estimateMore(s, t.fs, nextCapacity, n + 1), last },
      fs: t.fs, ...(t.info.serial ? { mediaSerial: t.info.serial } : {}), writtenAt: isoWithOffset(), state,
      ...(note ? { note } : {}), files: undo.map((u) => u.entry), ...(s.sidecars.length > 0 ? { sidecars: sidecarEntries(s.sidecars) } : {}),
      ...(kit ? { kit: labelKit(kit), kitFiles: kit.entries } : {}),
    };
  };
  const planned = entries.reduce((a, e) => a + e.size, 0);
  let full: string | undefined;
  try {
    await writeLabel(t.dir, label('incomplete', 'being written'));
    const m = await copyRange(join(s.bundleDir, MANIFEST_FILE), s.manifestBytes, 0, s.manifestBytes, join(t.dir, MANIFEST_FILE), { signal: opts.signal });
    if (m !== s.manifestSha256) throw new FerryError(`${MANIFEST_FILE} of ${s.bundleDir} changed while it was being written.`);
    await writeSidecars(t.dir, s.sidecars, opts.signal);
    if (kit) {
      p.phase(`writing the offline kit to volume ${n} (${t.dir})`);
      await writeKit(t.dir, kit, { signal: opts.signal, onBytes: (k) => p.advance(k, item) });
      p.phase(`writing volume ${n} to ${t.dir}`);
    }
    // A medium smaller than planned: once, re-plan what is left for the space really free, so it is still filled.
    for (let plan = entries; plan.length > 0; ) {
      try {
        for (const e of plan) await writeEntry(s, t, e, undo, (k) => p.advance(k, item));
        break;
      } catch (err) {
        if (!isMediumFull(err) || full) throw err;
        full = (err as { code?: string }).code;
        const free = (await freeSpace(t.dir)).free + allocated(s.manifestBytes, fsRules(t.fs));
        // The kit is on the medium already (its bytes are out of `free`); its label lines fit in the reserve.
        plan = fillVolume(remainingWork(manifest, s.done), free, { fs: t.fs, volumeSize: free, manifestBytes: s.manifestBytes, reserve: 64 * 1024 + (kitFiles?.reduce((a, x) => a + x.path.length + 160, 0) ?? 0), minSplit: opts.minSplit, sidecars: s.sidecars }).entries;
      }
    }
  } catch (err) {
    if (!isMediumFull(err)) throw err;
    full = (err as { code?: string }).code;
  }
  const written = undo.reduce((a, u) => a + u.entry.size, 0);
  if (full) notes.push(`${t.dir} filled up (${full}) with ${formatBytes(written)} of its planned ${formatBytes(planned)}; the rest continues on the next volume`);
  if (undo.length === 0) {
    await rm(join(t.dir, MANIFEST_FILE), { force: true });
    await rm(join(t.dir, LABEL_FILE), { force: true });
    await removeSidecars(t.dir, s.sidecars);
    if (kit) await removeKit(t.dir);
    p.itemState(item, 'skipped');
    return `${t.dir} filled up before the first file`;
  }
  for (const d of dirsOf(undo.map((u) => labelFileName(u.entry)))) await fsyncDir(join(t.dir, d));
  p.phase(`reading back volume ${n} from ${t.dir}`);
  const rb = await readBackFiles(t.dir, [...undo.map((u) => u.entry), ...sidecarEntries(s.sidecars), ...(kitFiles ?? [])], { ...opts, item: `readback:${n}`, label: `read back volume ${n}` });
  const badSidecars = rb.mismatches.filter((m) => s.sidecars.some((x) => x.path === m) || kitFiles?.some((x) => x.path === m));
  if (badSidecars.length > 0) throw new FerryError(`Volume ${n} (${t.dir}): ${badSidecars.join(', ')} read back differently from what was written.`, 'This medium is unreliable; use another one.');
  for (const bad of rb.mismatches) {
    const u = undo.find((x) => labelFileName(x.entry) === bad);
    if (u && !u.entry.part && (await sourceDamaged(s, u.entry.path))) {
      throw new FerryError(`${join(s.bundleDir, u.entry.path)} does not match its manifest sha256.`, 'The bundle is damaged; run "ferry verify" on it.');
    }
  }
  for (const bad of rb.mismatches) {
    const i = undo.findIndex((u) => labelFileName(u.entry) === bad);
    if (i >= 0) await revert(s, t.dir, undo, undo.filter((u, j) => j >= i && u.entry.path === undo[i]!.entry.path));
  }
  if (rb.mismatches.length > 0) notes.push(`read-back mismatch on ${rb.mismatches.join(', ')}; rewritten on the next volume`);
  let final: VolumeLabel;
  for (;;) {
    final = label(notes.length === 0 ? 'complete' : 'incomplete', notes.join('; ') || undefined);
    try {
      await writeLabel(t.dir, final);
      await fsyncDir(t.dir);
      break;
    } catch (err) {
      if (!isMediumFull(err) || undo.length === 0) throw err;
      await revert(s, t.dir, undo, [undo[undo.length - 1]!]);
      notes.push('the last file was removed to make room for the label');
    }
  }
  const bytes = undo.reduce((a, u) => a + u.entry.size, 0);
  p.item(item, `volume ${n} → ${t.dir}`, bytes); // what really went onto this medium
  p.itemState(item, rb.ok ? 'done' : 'failed');
  return {
    volume: n, count: final.volume.count, last: final.volume.last, dir: t.dir, volumeId,
    ...(t.info.device ? { device: t.info.device } : {}), ...(t.info.serial ? { mediaSerial: t.info.serial } : {}),
    fs: t.fs, state: final.state, ...(final.note ? { note: final.note } : {}), files: final.files, bytes, readBack: rb,
    ...(final.kit ? { kit: final.kit } : {}),
  };
}

/** How many more volumes the rest needs at `capacity` each (an estimate for the label's "of m"). */
function estimateMore(s: Session, fs: FsName, capacity: number, firstIndex: number): number {
  const rest = remainingWork(s.manifest, s.done);
  if (rest.length === 0) return 0;
  try {
    return planVolumes(s.manifest, { fs, volumeSize: capacity, manifestBytes: s.manifestBytes, reserve: s.opts.reserve, minSplit: s.opts.minSplit, sidecars: s.sidecars }, rest, firstIndex).volumes.length;
  } catch {
    return 1;
  }
}

/** Bundle files and approvals/custody files must both be storable on `fs`. */
function checkPaths(s: Session, fs: FsName): void {
  checkBundlePaths(s.manifest, fsRules(fs));
  checkSidecarPaths(s.sidecars, s.manifest, fsRules(fs));
  if (s.kit) checkKitPaths(s.kit, s.manifest, fsRules(fs));
}
