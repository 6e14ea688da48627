import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../shared/errors';
import { readManifest } from '../bundle/manifest-io';
import { MANIFEST_FILE } from '../bundle/manifest-schema';
import { isBlocked } from '../review/blocked';
import type { Progress } from '../bundle/verify';
import type { CustodyStore } from '../custody/custody-store';
import type { HashPool } from '../hash/hash-pool';
import type { FsName } from './fs-rules';
import { LABEL_FILE } from './label';
import { planVolumes, type VolumePlan } from './plan';
import { collectSidecars } from './sidecars';
import { assembleBundle, verifyVolumes, type AssembleResult, type VolumeVerifyResult } from './read';
import { writeVolumes, type WriteOptions, type WriteResult } from './write';

export interface MediaDeps {
  custody: CustodyStore;
  pool: HashPool;
}

/** True when `dir` is a Ferry volume (holds a volume label) rather than a bundle directory. */
export function isVolumeDir(dir: string): boolean {
  return existsSync(join(dir, LABEL_FILE));
}

/** Plans a bundle's volumes exactly as a write would: manifest, label and sidecars counted on each. */
export async function planMedia(dir: string, opts: { volumeSize: number[]; fs: FsName }): Promise<{ bundleId: string; plan: VolumePlan }> {
  const { manifest } = await readManifest(dir);
  const manifestBytes = (await stat(join(dir, MANIFEST_FILE))).size;
  const sidecars = await collectSidecars(dir, manifest);
  return { bundleId: manifest.bundleId, plan: planVolumes(manifest, { ...opts, manifestBytes, sidecars }) };
}

/** Writes a bundle to media; a blocked bundle is refused; volumes and serials go into custody. */
export async function writeMedia(
  bundleDir: string,
  targets: string[],
  opts: Omit<WriteOptions, 'progress' | 'pool' | 'signal'>,
  deps: MediaDeps,
  progress: Progress,
): Promise<WriteResult> {
  const { manifest } = await readManifest(bundleDir);
  if (isBlocked(manifest)) {
    throw new FerryError(
      `Bundle ${manifest.bundleId} is blocked by a dangerous scan finding and cannot be written to media.`,
      `Run "ferry scan ${bundleDir}/models" to see the findings; rebuild the bundle without the offending model.`,
      'BlockedBundle',
    );
  }
  const r = await writeVolumes(bundleDir, targets, { ...opts, progress, pool: deps.pool, signal: progress.signal });
  deps.custody.append({
    type: 'written',
    role: 'operator',
    bundleId: r.bundleId,
    details: {
      manifestSha256: r.manifestSha256,
      complete: r.complete,
      bytes: r.bytes,
      volumes: r.volumes.map((v) => ({
        volume: v.volume,
        count: v.count,
        volumeId: v.volumeId,
        mediaSerial: v.mediaSerial ?? null,
        device: v.device ?? null,
        fs: v.fs,
        state: v.state,
        bytes: v.bytes,
        readBack: v.readBack.ok ? 'ok' : 'failed',
      })),
    },
  });
  return r;
}

/** Verifies volumes in any order; the result (with volume ids and serials) is a custody event. */
export async function verifyMedia(dirs: string[], deps: MediaDeps, progress: Progress): Promise<VolumeVerifyResult> {
  const r = await verifyVolumes(dirs, deps.pool, progress);
  deps.custody.append({
    type: 'verified',
    role: 'admin',
    bundleId: r.bundleId,
    details: {
      media: true,
      ok: r.ok,
      manifestSha256: r.manifestSha256,
      volumes: r.volumes.map((v) => ({ ...v })),
      files: r.checkedFiles,
      bytes: r.checkedBytes,
      problems: r.problems.length,
    },
  });
  return r;
}

export async function assembleMedia(dirs: string[], outDir: string, deps: MediaDeps, progress: Progress): Promise<AssembleResult> {
  const r = await assembleBundle(dirs, outDir, progress);
  deps.custody.append({ type: 'assembled', role: 'admin', bundleId: r.bundleId, details: { dir: r.dir, files: r.files, joined: r.joined, bytes: r.bytes, volumes: dirs.length } });
  return r;
}
