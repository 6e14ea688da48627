import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { readMediaFile } from '../io/media-file';
import { readManifest } from '../bundle/manifest-io';
import { MANIFEST_FILE, type BundleManifest } from '../bundle/manifest-schema';
import { LABEL_FILE, readLabel, type LabelFile, type Sidecar, type VolumeLabel } from './label';
import { sidecarProblems } from './sidecars';

export type VolumeProblemKind =
  | 'label'
  | 'other-bundle'
  | 'missing-volume'
  | 'duplicate-volume'
  | 'manifest'
  | 'missing'
  | 'extra'
  | 'size'
  | 'mismatch'
  | 'coverage'
  | 'sidecars'
  | 'kit'
  | 'unsafe-path';

export interface VolumeProblem {
  kind: VolumeProblemKind;
  /** `n of m (dir)`, the folder alone when its label is unreadable, or `-` for the set as a whole. */
  volume: string;
  path: string;
  detail: string;
}

export interface LoadedVolume {
  dir: string;
  label: VolumeLabel;
  /** `n of m (dir)` */
  name: string;
  /** A second volume with an index already seen: checked, but not used for coverage. */
  duplicate: boolean;
}

export interface Piece {
  volume: LoadedVolume;
  entry: LabelFile;
  offset: number;
}

export interface VolumeSet {
  bundleId: string | null;
  manifest: BundleManifest | null;
  manifestSha256: string | null;
  /** A volume whose manifest.json matches its label. */
  manifestDir: string | null;
  /** Volumes in the set (final when the last volume is among them). */
  count: number;
  volumes: LoadedVolume[];
  /** Pieces of each bundle file, in offset order, from non-duplicate volumes. */
  pieces: Map<string, Piece[]>;
  /** approvals/ and custody/ files every volume carries (the set most volumes agree on). */
  sidecars: Sidecar[];
  problems: VolumeProblem[];
}

/**
 * Reads the labels of volumes given in any order, keeps those of one bundle, names missing,
 * duplicate and foreign volumes, and checks that the labels cover every manifest file
 * exactly (parts contiguous, sizes adding up, whole files' hashes equal the manifest's).
 * Reads labels and manifests only; file contents are not read here.
 */
export async function loadVolumeSet(dirs: string[]): Promise<VolumeSet> {
  const problems: VolumeProblem[] = [];
  const loaded: { dir: string; label: VolumeLabel }[] = [];
  for (const d of dirs) {
    const dir = resolve(d);
    try {
      loaded.push({ dir, label: await readLabel(dir) });
    } catch (err) {
      problems.push({ kind: 'label', volume: dir, path: LABEL_FILE, detail: (err as Error).message });
    }
  }
  const byBundle = new Map<string, typeof loaded>();
  for (const l of loaded) byBundle.set(l.label.bundleId, [...(byBundle.get(l.label.bundleId) ?? []), l]);
  const main = [...byBundle.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const set: VolumeSet = { bundleId: main[0]?.label.bundleId ?? null, manifest: null, manifestSha256: null, manifestDir: null, count: 0, volumes: [], pieces: new Map(), sidecars: [], problems };
  if (!set.bundleId) return set;
  const lasts = main.filter((l) => l.label.volume.last);
  set.count = lasts[0]?.label.volume.index ?? Math.max(...main.map((l) => l.label.volume.count));
  const name = (l: { dir: string; label: VolumeLabel }): string => `${l.label.volume.index} of ${set.count} (${l.dir})`;
  for (const l of loaded) {
    if (l.label.bundleId !== set.bundleId) {
      problems.push({ kind: 'other-bundle', volume: `${l.label.volume.index} of ${l.label.volume.count} (${l.dir})`, path: LABEL_FILE, detail: `belongs to bundle ${l.label.bundleId}, not ${set.bundleId}; verify one bundle at a time` });
    }
  }
  const seen = new Map<number, LoadedVolume>();
  for (const l of [...main].sort((a, b) => a.label.volume.index - b.label.volume.index)) {
    const first = seen.get(l.label.volume.index);
    const v: LoadedVolume = { ...l, name: name(l), duplicate: !!first };
    if (first) {
      const copy = first.label.volumeId === l.label.volumeId ? 'a copy of the same volume' : 'a different volume with the same number';
      problems.push({ kind: 'duplicate-volume', volume: v.name, path: LABEL_FILE, detail: `volume ${l.label.volume.index} is given twice: ${first.dir} and ${l.dir} (${copy})` });
    } else seen.set(l.label.volume.index, v);
    set.volumes.push(v);
  }
  for (const l of lasts.slice(1)) problems.push({ kind: 'label', volume: name(l), path: LABEL_FILE, detail: `also claims to be the last volume (${lasts[0]!.dir} does)` });
  const before = problems.length;
  for (let i = 1; i <= set.count; i++) {
    if (!seen.has(i)) problems.push({ kind: 'missing-volume', volume: `${i} of ${set.count}`, path: '', detail: `volume ${i} of ${set.count} of bundle ${set.bundleId} is not among the folders given` });
  }
  if (lasts.length === 0 && problems.length === before) {
    problems.push({ kind: 'missing-volume', volume: `? of ${set.count}+`, path: '', detail: `the last volume of bundle ${set.bundleId} (its label says "last") is not among the folders given` });
  }
  await loadManifest(set);
  if (set.manifest) checkCoverage(set);
  const sc = sidecarProblems(set.volumes, set.manifest);
  problems.push(...sc.problems);
  set.sidecars = sc.agreed;
  return set;
}

async function loadManifest(set: VolumeSet): Promise<void> {
  const shas = new Set(set.volumes.map((v) => v.label.manifestSha256));
  if (shas.size > 1) set.problems.push({ kind: 'label', volume: '-', path: MANIFEST_FILE, detail: `the volumes name ${shas.size} different manifests` });
  for (const v of set.volumes) {
    try {
      // Hash first (bounded), so a damaged copy is named as a mismatch against the label, then parse.
      const sha256 = createHash('sha256').update(await readMediaFile(v.dir, MANIFEST_FILE, 'volume-manifest')).digest('hex');
      if (sha256 !== v.label.manifestSha256) {
        set.problems.push({ kind: 'mismatch', volume: v.name, path: MANIFEST_FILE, detail: `sha256 ${sha256}, label says ${v.label.manifestSha256}` });
        continue;
      }
      const { manifest } = await readManifest(v.dir);
      if (manifest.bundleId !== set.bundleId) {
        set.problems.push({ kind: 'manifest', volume: v.name, path: MANIFEST_FILE, detail: `manifest is of bundle ${manifest.bundleId}, label says ${set.bundleId}` });
      } else if (!set.manifest) Object.assign(set, { manifest, manifestSha256: sha256, manifestDir: v.dir });
    } catch (err) {
      set.problems.push({ kind: 'manifest', volume: v.name, path: MANIFEST_FILE, detail: (err as Error).message });
    }
  }
}

function checkCoverage(set: VolumeSet): void {
  const files = new Map(set.manifest!.files.map((f) => [f.path, f]));
  const push = (p: VolumeProblem): number => set.problems.push(p);
  for (const v of set.volumes) {
    if (v.duplicate) continue;
    for (const e of v.label.files) {
      const f = files.get(e.path);
      if (!f) push({ kind: 'extra', volume: v.name, path: e.path, detail: 'listed in the volume label but not in the manifest' });
      else if (!e.part && (e.size !== f.size || e.sha256 !== f.sha256)) push({ kind: 'manifest', volume: v.name, path: e.path, detail: `label says ${e.size} bytes sha256 ${e.sha256}, manifest ${f.size} bytes sha256 ${f.sha256}` });
      else if (e.part && e.part.fileSize !== f.size) push({ kind: 'manifest', volume: v.name, path: e.path, detail: `part ${e.part.index} says the file is ${e.part.fileSize} bytes, manifest ${f.size}` });
      else set.pieces.set(e.path, [...(set.pieces.get(e.path) ?? []), { volume: v, entry: e, offset: e.part?.offset ?? 0 }]);
    }
  }
  const missingVolumes = set.problems.some((p) => p.kind === 'missing-volume');
  const where = missingVolumes ? ' (perhaps on a missing volume)' : '';
  for (const f of set.manifest!.files) {
    const pieces = (set.pieces.get(f.path) ?? []).sort((a, b) => a.offset - b.offset);
    set.pieces.set(f.path, pieces);
    if (pieces.length === 0) {
      push({ kind: 'missing', volume: '-', path: f.path, detail: `in the manifest (${f.size} bytes) but on no volume given${where}` });
      continue;
    }
    let pos = 0;
    for (const p of pieces) {
      if (p.offset > pos) push({ kind: 'missing', volume: '-', path: f.path, detail: `bytes ${pos}–${p.offset - 1} are on no volume given${where}` });
      if (p.offset < pos) push({ kind: 'coverage', volume: p.volume.name, path: f.path, detail: `part ${p.entry.part?.index ?? '(whole)'} overlaps bytes already covered up to ${pos}` });
      pos = Math.max(pos, p.offset + p.entry.size);
    }
    if (pos < f.size) push({ kind: 'missing', volume: '-', path: f.path, detail: `bytes ${pos}–${f.size - 1} are on no volume given${where}` });
  }
}
