import { MODELS_DIR, type BundleFile } from '../bundle/manifest-schema';
import { blobFile } from '../bundle/bundle-files';
import { modelDirName } from '../bundle/safe-path';
import type { OciLayout } from '../oci/layout';
import type { LockImage, LockModel } from '../recipes/lock-schema';
import { modelFileKey } from './delta-plan';

/** What the acquirer leaves out of a delta bundle (from planDelta). */
export interface AcquireOmissions {
  blobs: Set<string>;
  modelFiles: Set<string>;
  /** sha256 of each omitted model file, keyed by modelFileKey. */
  modelSha256: Map<string, string>;
}

/**
 * The layout as the image tasks see it: an omitted blob counts as present, so it is neither
 * fetched nor written (the tasks account it as reused; see `omittedBlobBytes`).
 */
export function layoutWithout(layout: OciLayout, omit: AcquireOmissions | undefined): OciLayout {
  if (!omit?.blobs.size) return layout;
  const view = Object.create(layout) as OciLayout;
  view.hasBlob = async (digest: string, size?: number) => omit.blobs.has(digest) || layout.hasBlob(digest, size);
  return view;
}

/** Model files to transfer: the omitted ones dropped (sizes adjusted for progress). */
export function modelsToFetch(models: LockModel[], omit: AcquireOmissions | undefined): LockModel[] {
  if (!omit?.modelFiles.size) return models;
  return models.map((m) => {
    const files = m.files.filter((f) => !omit.modelFiles.has(modelFileKey(m.repo, f.path)));
    return { ...m, files, size: files.reduce((s, f) => s + f.size, 0) };
  });
}

/** Seeds the acquired-hash map with omitted model files so their artifacts still list every file. */
export function seedOmittedModelHashes(models: LockModel[], omit: AcquireOmissions | undefined, results: Map<string, string>): void {
  if (!omit) return;
  for (const m of models) {
    for (const f of m.files) {
      const sha = omit.modelSha256.get(modelFileKey(m.repo, f.path));
      if (sha) results.set(`${MODELS_DIR}/${modelDirName(m.repo)}/${f.path}`, sha);
    }
  }
}

/** Drops the bundle files of omitted blobs and model files (the artifacts still name them). */
export function withoutOmittedFiles(files: BundleFile[], models: LockModel[], omit: AcquireOmissions | undefined): BundleFile[] {
  if (!omit) return files;
  const drop = new Set([...omit.blobs].map((d) => blobFile(d, 0).path));
  for (const m of models) for (const f of m.files) if (omit.modelFiles.has(modelFileKey(m.repo, f.path))) drop.add(`${MODELS_DIR}/${modelDirName(m.repo)}/${f.path}`);
  return files.filter((f) => !drop.has(f.path));
}

/** Bytes of omitted blobs the image tasks counted as reused (each digest once), to take back out of the stats. */
export function omittedBlobBytes(images: LockImage[], omit: AcquireOmissions | undefined): number {
  if (!omit?.blobs.size) return 0;
  const sizes = new Map<string, number>();
  for (const i of images) for (const d of [i.config, ...i.layers]) if (omit.blobs.has(d.digest)) sizes.set(d.digest, d.size);
  return [...sizes.values()].reduce((s, n) => s + n, 0);
}
