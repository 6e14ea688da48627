import { createHash } from 'node:crypto';
import { lstat, mkdir, rm } from 'node:fs/promises';
import { MediaFileError, readMediaFile } from '../io/media-file';
import { writeFileAtomic } from '../io/atomic-write';
import { dirname, join } from 'node:path';
import { CanceledError, FerryError } from '../../shared/errors';
import { RESERVED_DIRS, type BundleManifest } from '../bundle/manifest-schema';
import { walk } from '../bundle/walk';
import { fsyncDir } from './copy';
import { caseCollisions, pathProblem, type FsRules } from './fs-rules';
import { isSidecarPath, MAX_SIDECAR_BYTES, MAX_SIDECARS, type Sidecar } from './label';
import type { LoadedVolume, VolumeProblem } from './volume-set';

/**
 * Sidecars: the bundle's files under RESERVED_DIRS (signed approvals, the exported custody
 * log). Not in the manifest, so every volume carries all of them whole, listed in its label.
 */
export interface SidecarFile extends Sidecar {
  /** Read once when the write starts, so every volume of one run carries the same bytes. */
  bytes: Buffer;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const HINT = 'approvals/ and custody/ hold only the regular files "ferry review" and "ferry custody export" write.';

/** Reads every file under the bundle's reserved folders that the manifest does not list. */
export async function collectSidecars(bundleDir: string, manifest: BundleManifest): Promise<SidecarFile[]> {
  const listed = new Set(manifest.files.map((f) => f.path));
  const out: SidecarFile[] = [];
  let total = 0;
  for (const d of RESERVED_DIRS) {
    const st = await lstat(join(bundleDir, d)).catch(() => null);
    if (!st) continue;
    if (!st.isDirectory()) throw new FerryError(`${join(bundleDir, d)} is not a folder; it cannot go on media.`, HINT);
    for (const e of await walk(bundleDir, d)) {
      if (listed.has(e.path)) continue;
      const file = join(bundleDir, e.path);
      if (e.kind !== 'file') throw new FerryError(`${file} is a ${e.kind}, not a regular file; it cannot go on media.`, HINT);
      if (!isSidecarPath(e.path)) throw new FerryError(`${file} has a name that is not portable to removable media.`, HINT);
      if (e.size > MAX_SIDECAR_BYTES) throw new FerryError(`${file} is ${e.size} bytes; files under ${d}/ may be at most ${MAX_SIDECAR_BYTES} bytes.`, HINT);
      const bytes = await readMediaFile(bundleDir, e.path, 'sidecar', { maxBytes: MAX_SIDECAR_BYTES });
      total += bytes.length;
      out.push({ path: e.path, size: bytes.length, sha256: sha256(bytes), bytes });
    }
  }
  if (out.length > MAX_SIDECARS || total > 4 * MAX_SIDECAR_BYTES) {
    throw new FerryError(`${bundleDir} holds ${out.length} files (${total} bytes) under ${RESERVED_DIRS.join('/, ')}/, more than a volume label carries.`, HINT);
  }
  return out;
}

/** The label's view of the sidecars (no bytes). */
export const sidecarEntries = (s: readonly Sidecar[]): Sidecar[] => s.map(({ path, size, sha256: h }) => ({ path, size, sha256: h }));

/** Refuses sidecar names the filesystem cannot store, or that collide with each other or a bundle file. */
export function checkSidecarPaths(sidecars: readonly Sidecar[], manifest: BundleManifest, rules: FsRules): void {
  for (const s of sidecars) {
    const why = pathProblem(s.path, rules);
    if (why) throw new FerryError(`Bundle file ${s.path} cannot go on ${rules.name}: ${why}.`, HINT);
  }
  const clash = caseCollisions([...manifest.files.map((f) => f.path), ...sidecars.map((s) => s.path)], rules)[0];
  if (clash) throw new FerryError(`Bundle files ${clash[0]} and ${clash[1]} differ only in case; ${rules.name} would store them as one file.`);
}

/** Writes each sidecar onto the volume: `.tmp`, fsync, rename; then fsyncs their folders. */
export async function writeSidecars(dir: string, sidecars: readonly SidecarFile[], signal?: AbortSignal): Promise<void> {
  const dirs = new Set<string>();
  for (const s of sidecars) {
    if (signal?.aborted) throw new CanceledError();
    const file = join(dir, s.path);
    await mkdir(dirname(file), { recursive: true });
    await writeFileAtomic(file, s.bytes);
    for (let d = dirname(s.path); d !== '.'; d = dirname(d)) dirs.add(d);
  }
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) await fsyncDir(join(dir, d));
}

/** Takes the sidecars off a volume that ends up holding nothing else (the target was empty before). */
export async function removeSidecars(dir: string, sidecars: readonly Sidecar[]): Promise<void> {
  for (const d of RESERVED_DIRS) if (sidecars.some((s) => s.path.startsWith(`${d}/`))) await rm(join(dir, d), { recursive: true, force: true });
}

/**
 * All volumes written in one run carry the same sidecars. Each volume whose set differs
 * from the one most volumes carry is a problem naming both volumes and the paths.
 */
export function sidecarProblems(volumes: readonly LoadedVolume[], manifest: BundleManifest | null): { problems: VolumeProblem[]; agreed: Sidecar[] } {
  const key = (v: LoadedVolume): string => JSON.stringify(v.label.sidecars ?? []);
  const counts = new Map<string, number>();
  for (const v of volumes) counts.set(key(v), (counts.get(key(v)) ?? 0) + 1);
  // The set most volumes carry; on a tie the longer one, so a volume that lost files is the one named.
  const size = (v: LoadedVolume): number => v.label.sidecars?.length ?? 0;
  const ref = [...volumes].sort((a, b) => counts.get(key(b))! - counts.get(key(a))! || size(b) - size(a))[0];
  const agreed = ref?.label.sidecars ?? [];
  const problems: VolumeProblem[] = [];
  const listed = new Set(manifest?.files.map((f) => f.path) ?? []);
  for (const s of agreed) if (listed.has(s.path)) problems.push({ kind: 'sidecars', volume: ref!.name, path: s.path, detail: 'listed both as a manifest file and as an approvals/custody file' });
  for (const v of volumes) {
    if (key(v) === key(ref!)) continue;
    const mine = new Map((v.label.sidecars ?? []).map((s) => [s.path, s]));
    const theirs = new Map(agreed.map((s) => [s.path, s]));
    const diffs: string[] = [];
    for (const [p, s] of theirs) {
      const m = mine.get(p);
      if (!m) diffs.push(`lacks ${p}`);
      else if (m.sha256 !== s.sha256 || m.size !== s.size) diffs.push(`${p} differs (${m.size} bytes sha256 ${m.sha256.slice(0, 16)}…, there ${s.size} bytes sha256 ${s.sha256.slice(0, 16)}…)`);
    }
    for (const p of mine.keys()) if (!theirs.has(p)) diffs.push(`has ${p}, which it lacks`);
    const first = [...theirs.keys(), ...mine.keys()].find((p) => mine.get(p)?.sha256 !== theirs.get(p)?.sha256) ?? '';
    const shown = diffs.slice(0, 5).join('; ') + (diffs.length > 5 ? ` (and ${diffs.length - 5} more)` : '') || 'the lists are in a different order';
    problems.push({ kind: 'sidecars', volume: v.name, path: first, detail: `its label lists other approvals/custody files than volume ${ref!.name}: ${shown}; all volumes of one write carry the same` });
  }
  return { problems, agreed };
}

/**
 * Copies the agreed sidecars into an assembled bundle. Every volume's copy is read and
 * checked against its label first (they are small); a bad copy is named with its volume.
 */
export async function copySidecars(volumes: readonly LoadedVolume[], agreed: readonly Sidecar[], roots: Map<string, string>, outDir: string): Promise<void> {
  for (const s of agreed) {
    let bytes: Buffer | undefined;
    for (const v of volumes) bytes = await readSidecar(v, roots.get(v.dir)!, s);
    if (bytes) await writeSidecars(outDir, [{ ...s, bytes }]);
  }
}

async function readSidecar(v: LoadedVolume, _root: string, s: Sidecar): Promise<Buffer> {
  const where = `volume ${v.name}: ${s.path}`;
  // Hostile media: a regular file inside the volume, reached without symlinks (the one media reader).
  let bytes: Buffer;
  try {
    bytes = await readMediaFile(v.dir, s.path, 'sidecar', { maxBytes: s.size, label: where });
  } catch (err) {
    if (err instanceof MediaFileError && err.code === 'EFBIG') throw new FerryError(`${where} is larger than its label says (${s.size} bytes).`, 'This medium was altered or damaged; treat it as untrusted.');
    if (err instanceof MediaFileError) throw new FerryError(`${err.message}.`, 'Every volume carries the bundle\'s approvals/ and custody/ files; re-write this volume from the bundle.');
    throw err;
  }
  if (bytes.length !== s.size) throw new FerryError(`${where} is ${bytes.length} bytes, its label says ${s.size}.`, 'This medium was altered or damaged; treat it as untrusted.');
  const got = sha256(bytes);
  if (got !== s.sha256) throw new FerryError(`${where} does not match its label: sha256 ${got}, label says ${s.sha256}.`, 'This medium was altered or damaged; treat it as untrusted.');
  return bytes;
}
