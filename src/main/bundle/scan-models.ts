import { join } from 'node:path';
import type { CustodyStore } from '../custody/custody-store';
import { isoWithOffset } from '../core/clock';
import { clamav } from '../scan/antivirus';
import { scanPath } from '../scan/scan-path';
import type { BundleManifest, ModelArtifact } from './manifest-schema';
import type { Progress } from '../jobs/progress';

/**
 * Scans every model in a bundle being built (pickle, safetensors, antivirus, licence, GPU
 * estimate), stores each report on its artifact, and records one custody event per model.
 * Returns the manifest's scan summary: blocked when any finding is dangerous.
 */
export async function scanModels(
  bundleDir: string,
  models: ModelArtifact[],
  progress: Progress,
  custody: CustodyStore,
  bundleId: string,
): Promise<NonNullable<BundleManifest['scan']>> {
  progress.phase('scanning');
  const antivirus = clamav();
  let blocked = false;
  for (const m of models) {
    const report = await scanPath(join(bundleDir, m.dir), { signal: progress.signal, antivirus });
    m.scan = report;
    blocked ||= report.blocked;
    const bySeverity = { dangerous: 0, suspicious: 0, info: 0 };
    for (const f of report.findings) bySeverity[f.severity]++;
    custody.append({
      type: 'scanned',
      role: 'operator',
      bundleId,
      details: { repo: m.repo, revision: m.revision, blocked: report.blocked, findings: bySeverity, antivirus: report.antivirus.status, licence: report.licence?.id ?? 'unknown' },
    });
  }
  return { scannedAt: isoWithOffset(), blocked };
}
