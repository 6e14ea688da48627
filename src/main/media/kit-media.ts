import { chmod, lstat, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../shared/errors';
import type { BundleManifest } from '../bundle/manifest-schema';
import { KIT_DIR, KIT_FILE, type KitManifest, type KitSummary } from '../kit/kit-schema';
import { kitForMedia } from '../kit/kit-source';
import { copyRange, fsyncDir } from './copy';
import { pathProblem, type FsRules } from './fs-rules';
import type { KitEntry, LabelKit } from './label';
import { dirsOf } from './write-entry';

/**
 * The offline kit on media: volume 1 carries it whole under `ferry/` (never split: it must run
 * from volume 1 alone), its label names kit.json's digest and lists every kit file.
 */
export interface MediaKit {
  dir: string;
  manifest: KitManifest;
  /** sha256 of kit.json: the kit's digest. */
  sha256: string;
  summary: KitSummary;
  /** What the volume label lists: `ferry/kit.json` first, then every file kit.json lists, as `ferry/<path>`. */
  entries: KitEntry[];
  /** Bytes of all entries (kit.json included). */
  bytes: number;
}

/** Where the kit for a media write comes from: a given folder, else the bundle's own `ferry/` (what its reviewer saw), else the station's kit. */
export interface KitChoice {
  /** `--kit DIR`: this kit folder (verified fully). */
  kitDir?: string;
  /** For a kit cached or built under `<dataDir>/kits/`. */
  dataDir: string;
  signal?: AbortSignal;
  onProgress?: (msg: string) => void;
}

/** Picks and verifies the kit for volume 1. */
export async function chooseMediaKit(bundleDir: string, c: KitChoice): Promise<MediaKit> {
  const own = join(bundleDir, KIT_DIR);
  const kitDir = c.kitDir ?? ((await lstat(join(own, KIT_FILE)).catch(() => null)) ? own : undefined);
  const k = await kitForMedia({ dataDir: c.dataDir, ...(kitDir ? { kitDir } : {}), ...(c.signal ? { signal: c.signal } : {}), ...(c.onProgress ? { onProgress: c.onProgress } : {}) });
  const kitJson = await stat(join(k.dir, KIT_FILE));
  const entries: KitEntry[] = [
    { path: `${KIT_DIR}/${KIT_FILE}`, size: kitJson.size, sha256: k.sha256 },
    ...k.manifest.files.map((f) => ({ path: `${KIT_DIR}/${f.path}`, size: f.size, sha256: f.sha256 })),
  ];
  return { ...k, entries, bytes: entries.reduce((a, e) => a + e.size, 0) };
}

/** The label's summary of the kit. */
export function labelKit(k: Pick<MediaKit, 'summary'>): LabelKit {
  const s = k.summary;
  return { dir: KIT_DIR, version: s.version, commit: s.commit, platform: s.platform, nodeVersion: s.nodeVersion, sha256: s.sha256, files: s.files, bytes: s.bytes };
}

/** Refuses a kit whose names the filesystem cannot store, or a bundle that has files of its own under ferry/. */
export function checkKitPaths(k: MediaKit, manifest: BundleManifest, rules: FsRules): void {
  for (const e of k.entries) {
    const why = pathProblem(e.path, rules);
    if (why) throw new FerryError(`Kit file ${e.path} cannot go on ${rules.name}: ${why}.`, 'Build the kit again ("ferry kit build"), or write without it (--no-kit).');
  }
  const clash = manifest.files.find((f) => f.path === KIT_DIR || f.path.startsWith(`${KIT_DIR}/`));
  if (clash) throw new FerryError(`Bundle file ${clash.path} is inside ${KIT_DIR}/, the folder the offline kit takes on volume 1.`, 'Write without the kit (--no-kit).');
}

/**
 * Copies the kit onto the volume under ferry/: every file hashed while written, fsynced, renamed,
 * and checked against kit.json (kit.json against the kit's digest); launcher and node stay executable.
 * Returns the label entries (read back by the caller with the volume's other files).
 */
export async function writeKit(volumeDir: string, k: MediaKit, opts: { signal?: AbortSignal; onBytes?: (n: number) => void }): Promise<KitEntry[]> {
  const exec = new Set(k.manifest.files.filter((f) => f.executable).map((f) => `${KIT_DIR}/${f.path}`));
  for (const e of k.entries) {
    const rel = e.path.slice(KIT_DIR.length + 1);
    const got = await copyRange(join(k.dir, rel), e.size, 0, e.size, join(volumeDir, e.path), opts);
    if (got !== e.sha256) {
      await rm(join(volumeDir, e.path), { force: true });
      throw new FerryError(`Kit file ${join(k.dir, rel)} does not match its ${rel === KIT_FILE ? 'digest' : KIT_FILE} (sha256 ${got}, expected ${e.sha256}).`, 'The kit changed after it was checked; run "ferry kit verify" on it, or build it again.');
    }
    // Best effort: FAT and exFAT have no mode bits (the launcher runs as "sh ferry/ferry" there).
    if (exec.has(e.path)) await chmod(join(volumeDir, e.path), 0o755).catch(() => undefined);
  }
  for (const d of dirsOf(k.entries.map((e) => e.path))) if (d) await fsyncDir(join(volumeDir, d));
  return k.entries;
}

/** Takes the kit back off a volume that ends up holding nothing else (the target was empty before). */
export async function removeKit(volumeDir: string): Promise<void> {
  await rm(join(volumeDir, KIT_DIR), { recursive: true, force: true });
}
