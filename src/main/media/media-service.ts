import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../shared/errors';
import { readManifest } from '../bundle/manifest-io';
import { MANIFEST_FILE } from '../bundle/manifest-schema';
import { requireApprovedOrReason, overrideCheck } from '../review/approval-state';
import { refuseUnresolved } from '../review/overrides';
import type { Db } from '../db/database';
import type { Progress } from '../jobs/progress';
import type { CustodyStore } from '../custody/custody-store';
import type { HashPool } from '../hash/hash-pool';
import type { FsName } from './fs-rules';
import { planVolumes, type VolumePlan } from './plan';
import { TrustStore } from '../identity/trust-store';
import { kitCoverage } from './kit-check';
import { chooseMediaKit, type MediaKit } from './kit-media';
import { collectSidecars } from './sidecars';
import { assembleBundle, verifyVolumes, type AssembleResult, type VolumeVerifyResult } from './read';
import { writeVolumes, type WriteOptions, type WriteResult } from './write';

export interface MediaDeps {
  custody: CustodyStore;
  pool: HashPool;
  /** The station database: approval policy, identities and pinned keys for the write gate. */
  db?: Db;
  /** Where a kit built for media is cached (`<dataDir>/kits/`); needed to write with the kit. */
  dataDir?: string;
}

/** Asks for the offline kit on volume 1: `kitDir` (`--kit DIR`), else the bundle's own ferry/, else the station's kit. */
export interface MediaKitRequest {
  kitDir?: string;
  /** Told what happens while a kit is being built for this station (the first time only; a job reports it as its phase). */
  onProgress?: (msg: string) => void;
}

async function mediaKit(bundleDir: string, req: MediaKitRequest | undefined, deps: MediaDeps, progress?: Progress): Promise<MediaKit | undefined> {
  if (!req) return undefined;
  if (!deps.dataDir && !req.kitDir) throw new FerryError('Writing the offline kit needs a data directory to keep it in.', 'Give --kit DIR, or write without the kit (--no-kit).');
  return chooseMediaKit(bundleDir, { dataDir: deps.dataDir ?? '', ...(req.kitDir ? { kitDir: req.kitDir } : {}), ...(progress ? { signal: progress.signal, onProgress: (m: string) => progress.phase(m) } : req.onProgress ? { onProgress: req.onProgress } : {}) });
}

export { isVolumeDir } from './label';

/** Plans a bundle's volumes exactly as a write would: manifest, label and sidecars counted on each. */
export async function planMedia(dir: string, opts: { volumeSize: number[]; fs: FsName; kit?: MediaKitRequest }, deps: Pick<MediaDeps, 'dataDir'> = {}): Promise<{ bundleId: string; plan: VolumePlan }> {
  const { kit: req, ...sizes } = opts;
  const { manifest } = await readManifest(dir);
  const manifestBytes = (await stat(join(dir, MANIFEST_FILE))).size;
  const sidecars = await collectSidecars(dir, manifest);
  const kit = await mediaKit(dir, req, deps as MediaDeps);
  return { bundleId: manifest.bundleId, plan: planVolumes(manifest, { ...sizes, manifestBytes, sidecars, ...(kit ? { kit: kit.entries } : {}) }) };
}

/**
 * Writes a bundle to media. Refused while a blocking scan finding has no override; an
 * unapproved bundle needs `unapprovedReason` (the choice and the reason go into custody).
 * Volumes and serials go into custody.
 */
export async function writeMedia(
  bundleDir: string,
  targets: string[],
  opts: Omit<WriteOptions, 'progress' | 'pool' | 'signal' | 'kit'> & { unapprovedReason?: string; kit?: MediaKitRequest },
  deps: MediaDeps,
  progress: Progress,
): Promise<WriteResult> {
  const { unapprovedReason, kit: kitRequest, ...writeOpts } = opts;
  const { manifest } = await readManifest(bundleDir);
  const blocks = await refuseUnresolved(bundleDir, 'written to media', deps.db ? overrideCheck(deps.db) : {});
  const gate = deps.db ? await requireApprovedOrReason(bundleDir, deps.db, unapprovedReason) : ({ approved: true } as const);
  if (!gate.approved) {
    deps.custody.append({
      type: 'unapproved-write',
      role: 'operator',
      bundleId: manifest.bundleId,
      details: { dir: bundleDir, reason: gate.unapprovedReason, notApprovedBecause: gate.reasons },
    });
  }
  const kit = await mediaKit(bundleDir, kitRequest, deps, progress);
  const r = await writeVolumes(bundleDir, targets, { ...writeOpts, ...(kit ? { kit } : {}), progress, pool: deps.pool, signal: progress.signal });
  deps.custody.append({
    type: 'written',
    role: 'operator',
    bundleId: r.bundleId,
    details: {
      manifestSha256: r.manifestSha256,
      approved: gate.approved,
      ...(gate.approved ? {} : { unapprovedReason: gate.unapprovedReason }),
      overrides: blocks.valid.map((o) => ({ file: o.file, rule: o.rule, by: o.by.name, reviewerFingerprint: o.by.fingerprint })),
      complete: r.complete,
      bytes: r.bytes,
      ...(kit ? { kit: { sha256: kit.sha256, version: kit.summary.version, commit: kit.summary.commit, platform: kit.summary.platform, files: kit.entries.length, bytes: kit.bytes } } : {}),
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
  // The kit on volume 1: which approvals (pinned keys, over this manifest) record its digest. Uncovered is a warning only.
  const withKit = r.volumes.find((v) => v.kit);
  if (withKit?.kit) {
    const coverage = await kitCoverage(withKit.dir, withKit.kit, deps.db ? new TrustStore(deps.db).lookup() : undefined).catch(() => undefined);
    if (coverage) r.kit = coverage;
  }
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
      ...(r.kit ? { kit: { sha256: r.kit.sha256, coveredBy: r.kit.coveredBy.map((c) => c.name) } } : {}),
    },
  });
  return r;
}

export async function assembleMedia(dirs: string[], outDir: string, deps: MediaDeps, progress: Progress): Promise<AssembleResult> {
  const r = await assembleBundle(dirs, outDir, progress);
  deps.custody.append({ type: 'assembled', role: 'admin', bundleId: r.bundleId, details: { dir: r.dir, files: r.files, joined: r.joined, bytes: r.bytes, volumes: dirs.length } });
  return r;
}
