import type { BundleManifest } from '../bundle/manifest-schema';

/**
 * Whether a dangerous scan finding blocks this bundle: the manifest's top-level
 * `scan.blocked` (set when the bundle was scanned), or any model artifact's own scan
 * report saying blocked. Anything that says blocked, blocks.
 */
export function isBlocked(manifest: BundleManifest): boolean {
  if (manifest.scan?.blocked === true) return true;
  return manifest.artifacts.some((a) => a.kind === 'model' && a.scan?.blocked === true);
}
