import { join } from 'node:path';
import { isAbortError } from '../../shared/errors';
import { mapLimit } from '../core/concurrency';
import { MANIFEST_FILE } from '../bundle/manifest-schema';
import type { Progress } from '../jobs/progress';
import { walk } from '../bundle/walk';
import type { HashPool } from '../hash/hash-pool';
import type { KitCoverageView } from '../../shared/api-review';
import type { VolumeLabelSummary } from '../../shared/api-media';
import { volumeKitProblems } from './kit-check';
import { LABEL_FILE, labelFileName, type LabelFile, type LabelKit } from './label';
import { loadVolumeSet, type LoadedVolume, type VolumeProblem } from './volume-set';

export { assembleBundle, type AssembleResult } from './assemble';
export type { VolumeProblem, VolumeProblemKind } from './volume-set';

export interface VolumeSummary extends VolumeLabelSummary {
  index: number;
  last: boolean;
  /** The offline kit under ferry/ this volume's label names (volume 1 of a set written with the kit). */
  kit?: LabelKit;
}

export interface VolumeVerifyResult {
  ok: boolean;
  bundleId: string | null;
  manifestSha256: string | null;
  /** Volumes in the set. */
  count: number;
  volumes: VolumeSummary[];
  checkedFiles: number;
  checkedBytes: number;
  problems: VolumeProblem[];
  /** Which approvals record the kit's digest (media-service adds it; absent without a kit). */
  kit?: KitCoverageView;
}

const CONCURRENCY = 8;

/**
 * Verifies volumes given in any order: every file and part on every volume against its
 * label (no reassembly), the labels against the manifest (every file covered exactly), and
 * names missing, duplicate or foreign volumes. Never throws for bad media: problems are the result.
 */
export async function verifyVolumes(dirs: string[], pool: HashPool, progress: Progress): Promise<VolumeVerifyResult> {
  progress.phase('reading labels');
  const set = await loadVolumeSet(dirs);
  const problems = [...set.problems];
  const toHash: { v: LoadedVolume; e: LabelFile }[] = [];
  progress.phase('listing volumes');
  for (const v of set.volumes) {
    // Data files and parts, and the approvals/ and custody/ files every volume carries whole.
    // And the offline kit's files under ferry/ (volume 1): listed here, their content checked against kit.json below.
    // A name the label also lists as a bundle file or sidecar is hashed as one (never left to the kit's check alone).
    const data = [...v.label.files, ...(v.label.sidecars ?? [])];
    const dataNames = new Set(data.map((e) => labelFileName(e)));
    const kitFiles = new Set((v.label.kitFiles ?? []).map((e) => e.path).filter((p) => !dataNames.has(p)));
    const expected = new Map<string, LabelFile>([...(v.label.kitFiles ?? []), ...data].map((e) => [labelFileName(e), e]));
    const present = await walk(v.dir).catch((err: Error) => {
      problems.push({ kind: 'missing', volume: v.name, path: '', detail: `cannot list the volume: ${err.message}` });
      return null;
    });
    if (!present) continue;
    const seen = new Set<string>();
    for (const x of present) {
      if (x.path === LABEL_FILE || x.path === MANIFEST_FILE) continue;
      if (x.kind !== 'file') {
        problems.push({ kind: 'unsafe-path', volume: v.name, path: x.path, detail: `a ${x.kind}, not a regular file` });
        continue;
      }
      const e = expected.get(x.path);
      seen.add(x.path);
      if (!e) problems.push({ kind: 'extra', volume: v.name, path: x.path, detail: 'not listed in the volume label' });
      else if (e.size !== x.size) problems.push({ kind: 'size', volume: v.name, path: x.path, detail: `size ${x.size}, label says ${e.size}` });
      else if (!kitFiles.has(x.path)) toHash.push({ v, e });
    }
    for (const [file, e] of expected) {
      if (!seen.has(file)) problems.push({ kind: 'missing', volume: v.name, path: file, detail: `listed in the volume label (${e.size} bytes) but not present` });
    }
    progress.item(`volume:${v.dir}`, `volume ${v.name}`, toHash.filter((h) => h.v === v).reduce((a, h) => a + h.e.size, 0));
  }
  for (const v of set.volumes) {
    if (!v.label.kit) continue;
    progress.phase(`checking the offline kit on volume ${v.name}`);
    problems.push(...(await volumeKitProblems(v)));
  }
  progress.phase('hashing');
  let checkedBytes = 0;
  toHash.sort((a, b) => b.e.size - a.e.size); // largest first: the largest file bounds the time
  await mapLimit(toHash, CONCURRENCY, async ({ v, e }) => {
    const file = labelFileName(e);
    try {
      const got = await pool.hashFile(join(v.dir, file), { size: e.size, signal: progress.signal, onBytes: (n) => progress.advance(n, `volume:${v.dir}`) });
      checkedBytes += got.size;
      if (got.sha256 !== e.sha256) problems.push({ kind: 'mismatch', volume: v.name, path: file, detail: `sha256 ${got.sha256}, label says ${e.sha256}` });
    } catch (err) {
      if (isAbortError(err)) throw err;
      problems.push({ kind: 'missing', volume: v.name, path: file, detail: `cannot read: ${(err as Error).message}` });
    }
  });
  const failed = new Set(problems.map((p) => p.volume));
  for (const v of set.volumes) progress.itemState(`volume:${v.dir}`, failed.has(v.name) ? 'failed' : 'done');
  problems.sort((a, b) => (a.volume < b.volume ? -1 : a.volume > b.volume ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    ok: problems.length === 0 && set.manifest !== null,
    bundleId: set.bundleId,
    manifestSha256: set.manifestSha256,
    count: set.count,
    volumes: set.volumes.map((v) => ({
      dir: v.dir,
      index: v.label.volume.index,
      count: v.label.volume.count,
      last: v.label.volume.last,
      volumeId: v.label.volumeId,
      ...(v.label.mediaSerial ? { mediaSerial: v.label.mediaSerial } : {}),
      state: v.label.state,
      ...(v.label.note ? { note: v.label.note } : {}),
      files: v.label.files.length,
      bytes: v.label.files.reduce((a, f) => a + f.size, 0),
      ...(v.label.kit ? { kit: v.label.kit } : {}),
    })),
    checkedFiles: toHash.length,
    checkedBytes,
    problems,
  };
}
