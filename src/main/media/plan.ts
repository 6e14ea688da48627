import { FerryError } from '../../shared/errors';
import { formatBytes } from '../../shared/format';
import { canonicalJson } from '../bundle/canonical-json';
import { MANIFEST_FILE, type BundleManifest } from '../bundle/manifest-schema';
import { allocated, caseCollisions, fsRules, pathProblem, type FsName, type FsRules } from './fs-rules';
import { LABEL_FILE, MAX_PARTS, partFile } from './label';

export interface PlanPart {
  /** 1-based part number; the file on the volume is `<path>.part0001`. */
  index: number;
  /** Parts the file has in this plan (a re-plan after a full medium may change it; labels do not rely on it). */
  count: number;
  offset: number;
  size: number;
}

export interface PlanEntry {
  /** The file's path in the bundle. */
  path: string;
  /** Where it goes on the volume: `path`, or `path.partNNNN`. */
  file: string;
  size: number;
  /** Whole files: the manifest's sha256. Parts: computed while they are written. */
  sha256?: string;
  part?: PlanPart;
}

export interface PlannedVolume {
  /** 1-based. */
  index: number;
  capacity: number;
  entries: PlanEntry[];
  /** Bytes of bundle files on this volume (manifest and label not counted). */
  bytes: number;
}

export interface VolumePlan {
  fs: FsName;
  volumes: PlannedVolume[];
  files: number;
  bytes: number;
  splitFiles: number;
  /** The offline kit counted on volume 1 (absent when written without it). */
  kit?: { files: number; bytes: number };
}

export interface PlanOptions {
  /** Usable bytes per volume; an array gives one per target, its last value repeating. */
  volumeSize: number | number[];
  fs: FsName;
  /** Bytes kept free on each volume for filesystem metadata (default: 0.2% of the volume, 256 KiB to 64 MiB). */
  reserve?: number;
  /** Size of manifest.json, copied onto every volume (default: computed from the manifest). */
  manifestBytes?: number;
  /** A file is not split across volumes into a piece smaller than this (default 1 MiB), unless it is the file's last piece. */
  minSplit?: number;
  /** approvals/ and custody/ files, copied whole onto every volume like manifest.json. */
  sidecars?: readonly { path: string; size: number }[];
  /** The offline kit's files (ferry/…), whole on volume 1 only; never split. */
  kit?: readonly { path: string; size: number }[];
}

/** What is still to be written of one bundle file. */
export interface Work {
  path: string;
  fileSize: number;
  sha256: string;
  /** Bytes already written (parts 1 … nextIndex−1). */
  offset: number;
  nextIndex: number;
}

const MiB = 1024 * 1024;
const LABEL_BASE = 1024;

/** Work for every file of the manifest, in manifest order, minus what `done` says is written. */
export function remainingWork(manifest: BundleManifest, done: ReadonlyMap<string, { covered: number; parts: number }> = new Map()): Work[] {
  const out: Work[] = [];
  for (const f of manifest.files) {
    const d = done.get(f.path);
    if (d && d.covered >= f.size) continue;
    out.push({ path: f.path, fileSize: f.size, sha256: f.sha256, offset: d?.covered ?? 0, nextIndex: (d?.parts ?? 0) + 1 });
  }
  return out;
}

/** Refuses a bundle whose paths cannot be stored on `fs` (re-checked though bundles are portable already). */
export function checkBundlePaths(manifest: BundleManifest, rules: FsRules): void {
  const paths = new Set(manifest.files.map((f) => f.path));
  for (const f of manifest.files) {
    const why = pathProblem(f.path, rules);
    if (why) throw new FerryError(`Bundle file ${f.path} cannot go on ${rules.name}: ${why}.`);
    if (f.path === LABEL_FILE || f.path === MANIFEST_FILE) throw new FerryError(`Bundle file ${f.path} clashes with the volume's own ${f.path}.`);
    if (paths.has(partFile(f.path, 1))) throw new FerryError(`Bundle files ${f.path} and ${partFile(f.path, 1)} would clash if ${f.path} were split.`);
  }
  const clash = caseCollisions(paths, rules)[0];
  if (clash) throw new FerryError(`Bundle files ${clash[0]} and ${clash[1]} differ only in case; ${rules.name} would store them as one file.`);
}

/** The largest part size: the filesystem's file limit, rounded down to whole MiB. */
function maxPart(rules: FsRules): number {
  return rules.maxFileSize >= Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : Math.floor(rules.maxFileSize / MiB) * MiB;
}

export function defaultReserve(capacity: number): number {
  return Math.min(64 * MiB, Math.max(256 * 1024, Math.ceil(capacity * 0.002)));
}

/**
 * Fills one volume of `capacity` bytes from `work`, first-fit in manifest order. Files over
 * the filesystem limit, or over what is left, are split into parts so media are filled;
 * a file that would leave a piece under `minSplit` waits for the next volume instead.
 * Pure: returns the entries and what is left, in order.
 */
export function fillVolume(work: readonly Work[], capacity: number, opts: PlanOptions & { manifestBytes: number }): { entries: PlanEntry[]; rest: Work[] } {
  const rules = fsRules(opts.fs);
  const minSplit = opts.minSplit ?? MiB;
  const partMax = maxPart(rules);
  // Files every volume (sidecars) or volume 1 (the kit) carries whole, before any bundle file.
  const sidecars = [...(opts.sidecars ?? []), ...(opts.kit ?? [])];
  const fixed = (opts.reserve ?? defaultReserve(capacity)) + allocated(opts.manifestBytes, rules) + sidecars.reduce((a, x) => a + allocated(x.size, rules), 0);
  const dirs = new Set<string>();
  let data = 0;
  let label = LABEL_BASE;
  const free = (): number => capacity - fixed - data - allocated(label, rules) - dirs.size * rules.blockSize;
  const newDirs = (path: string): string[] => {
    const out: string[] = [];
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) out.push(d);
    }
    return out;
  };
  /** Room left for the data of one more entry with this path, after its label line and new directories. */
  const roomFor = (path: string): number =>
    capacity - fixed - data - allocated(label + path.length + 160, rules) - (dirs.size + newDirs(path).length) * rules.blockSize;
  const take = (path: string, size: number): void => {
    for (const d of newDirs(path)) dirs.add(d);
    data += allocated(size, rules);
    label += path.length + 160;
  };

  for (const x of sidecars) {
    for (const d of newDirs(x.path)) dirs.add(d);
    label += x.path.length + 160;
  }
  const entries: PlanEntry[] = [];
  const rest: Work[] = [];
  for (const w0 of work) {
    const w = { ...w0 };
    const whole = w.offset === 0 && w.nextIndex === 1 && w.fileSize <= rules.maxFileSize;
    if (whole && allocated(w.fileSize, rules) <= roomFor(w.path)) {
      take(w.path, w.fileSize);
      entries.push({ path: w.path, file: w.path, size: w.fileSize, sha256: w.sha256 });
      continue;
    }
    while (w.offset < w.fileSize && free() > 0) {
      const left = w.fileSize - w.offset;
      const room = Math.floor(roomFor(partFile(w.path, w.nextIndex)) / rules.blockSize) * rules.blockSize;
      const piece = Math.min(left, partMax, room);
      if (piece <= 0 || (piece < left && piece < minSplit)) break;
      if (w.nextIndex > MAX_PARTS) throw new FerryError(`${w.path} would need more than ${MAX_PARTS} parts.`, 'Use larger volumes.');
      const file = partFile(w.path, w.nextIndex);
      take(file, piece);
      entries.push({ path: w.path, file, size: piece, part: { index: w.nextIndex, count: 0, offset: w.offset, size: piece } });
      w.offset += piece;
      w.nextIndex++;
    }
    if (w.offset < w.fileSize) rest.push(w);
  }
  return { entries, rest };
}

/**
 * Bytes a volume needs before any bundle file: the space kept free, manifest.json, the label,
 * the sidecars and (volume 1) the kit, with their folders. A volume 1 smaller than this cannot carry the kit.
 */
export function volumeOverhead(capacity: number, opts: PlanOptions & { manifestBytes: number }): number {
  const rules = fsRules(opts.fs);
  const whole = [...(opts.sidecars ?? []), ...(opts.kit ?? [])];
  const dirs = new Set(whole.flatMap((x) => x.path.split('/').slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join('/'))));
  const label = whole.reduce((a, x) => a + x.path.length + 160, LABEL_BASE);
  return (opts.reserve ?? defaultReserve(capacity)) + allocated(opts.manifestBytes, rules) + whole.reduce((a, x) => a + allocated(x.size, rules), 0) + allocated(label, rules) + dirs.size * rules.blockSize;
}

/** "Volume 1 must hold the kit whole": the error when it cannot, with sizes (plan and write alike). */
export function kitTooLarge(kit: readonly { size: number }[], where: string | undefined, capacity: number, needed: number): FerryError {
  const bytes = kit.reduce((a, x) => a + x.size, 0);
  return new FerryError(
    `Volume 1 (${where ? `${where}, ` : ''}${formatBytes(capacity)} usable) cannot hold the offline kit: the kit is ${formatBytes(bytes)} in ${kit.length} files and needs ${formatBytes(needed)} with the manifest, the label and the space kept free; the kit is never split across volumes (it must run from volume 1 alone).`,
    `Use a medium of at least ${formatBytes(needed + 1024 * 1024)} for volume 1, or write without the kit (--no-kit; in the app: untick "Put the offline kit on volume 1").`,
  );
}

/** Sets each part's `count` to the number of parts its file has across the plan (earlier ones included). */
function countParts(volumes: PlannedVolume[]): void {
  const last = new Map<string, number>();
  for (const v of volumes) for (const e of v.entries) if (e.part) last.set(e.path, e.part.index);
  for (const v of volumes) for (const e of v.entries) if (e.part) e.part.count = last.get(e.path)!;
}

export function capacityOf(volumeSize: number | number[], i: number): number {
  if (!Array.isArray(volumeSize)) return volumeSize;
  if (volumeSize.length === 0) throw new FerryError('No volume size given.');
  return volumeSize[Math.min(i, volumeSize.length - 1)]!;
}

/**
 * Plans the volumes for `work` (default: the whole bundle). Deterministic. Throws when a
 * volume cannot hold even the manifest, the label and the next piece.
 */
export function planVolumes(manifest: BundleManifest, opts: PlanOptions, work: Work[] = remainingWork(manifest), firstIndex = 1): VolumePlan {
  const rules = fsRules(opts.fs);
  checkBundlePaths(manifest, rules);
  const manifestBytes = opts.manifestBytes ?? Buffer.byteLength(canonicalJson(manifest));
  const volumes: PlannedVolume[] = [];
  let rest = work;
  while (rest.length > 0) {
    const capacity = capacityOf(opts.volumeSize, volumes.length);
    const index = firstIndex + volumes.length;
    const kit = index === 1 ? opts.kit : undefined;
    const needed = kit ? volumeOverhead(capacity, { ...opts, manifestBytes, kit }) : 0;
    if (kit && needed > capacity) throw kitTooLarge(kit, undefined, capacity, needed);
    const filled = fillVolume(rest, capacity, { ...opts, manifestBytes, kit });
    if (filled.entries.length === 0) {
      const next = rest[0]!;
      throw new FerryError(
        `Volume ${firstIndex + volumes.length} (${formatBytes(capacity)}) cannot hold manifest.json (${formatBytes(manifestBytes)}), its label and any of the remaining files (next: ${next.path}, ${formatBytes(next.fileSize - next.offset)}).`,
        'Use larger volumes.',
      );
    }
    volumes.push({ index: firstIndex + volumes.length, capacity, entries: filled.entries, bytes: filled.entries.reduce((s, e) => s + e.size, 0) });
    rest = filled.rest;
  }
  countParts(volumes);
  const split = new Set(volumes.flatMap((v) => v.entries.filter((e) => e.part).map((e) => e.path)));
  const kit = firstIndex === 1 && opts.kit ? { kit: { files: opts.kit.length, bytes: opts.kit.reduce((a, x) => a + x.size, 0) } } : {};
  return { fs: opts.fs, volumes, files: manifest.files.length, bytes: manifest.files.reduce((s, f) => s + f.size, 0), splitFiles: split.size, ...kit };
}
