import { resolve } from 'node:path';
import type { BundleDocument } from '../../shared/api-review';
import { isBlocked } from '../review/blocked';
import { readManifest } from './manifest-io';

/** The manifest as a reviewer reads it: artifacts with sources, digests, sizes and scan results. */
export async function bundleDocument(dir: string): Promise<BundleDocument> {
  const abs = resolve(dir);
  const { manifest: m, sha256 } = await readManifest(abs);
  return {
    dir: abs,
    manifestSha256: sha256,
    bundleId: m.bundleId,
    createdAt: m.createdAt,
    createdBy: { actor: m.createdBy.actor, station: m.createdBy.station },
    blocked: isBlocked(m),
    ...(m.scan ? { scannedAt: m.scan.scannedAt } : {}),
    files: m.files.length,
    bytes: m.files.reduce((s, f) => s + f.size, 0),
    artifacts: m.artifacts.map((a) =>
      a.kind === 'image'
        ? { kind: 'image' as const, name: a.name, source: a.source, digest: a.digest, platform: a.platform, size: a.size, layers: a.layers }
        : { kind: 'model' as const, name: a.name, source: a.source, repo: a.repo, revision: a.revision, size: a.size, files: a.files, ...(a.scan ? { scan: a.scan } : {}) },
    ),
  };
}
