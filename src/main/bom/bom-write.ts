import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { BundleFile, BundleManifest, ModelArtifact } from '../bundle/manifest-schema';
import { writeFileAtomic } from '../io/atomic-write';
import type { BomSource } from './bom-model';
import { MEDIA_LIMITS } from '../io/media-file';
import { BOM_FILE, BOM_FORMAT, BOM_SPEC_VERSION, BomError, bomBytes, bomJson } from './cyclonedx';
import { readModelInfo, type ModelInfo } from './model-card';

export type BomRecord = NonNullable<BundleManifest['bom']>;

/** The BOM of the bundle being assembled in `dir`, as bytes (validated): model cards read from the model files there. */
export async function renderBundleBom(dir: string, source: BomSource): Promise<Buffer> {
  const info = new Map<string, ModelInfo>();
  for (const a of source.artifacts) if (a.kind === 'model') info.set(a.repo, await readModelInfo(dir, a as ModelArtifact));
  return bomBytes(bomJson(source, info));
}

/**
 * Writes `<dir>/bom.cdx.json` (CycloneDX 1.6, validated against the schema before it is written) and
 * returns its entry for manifest.files and the manifest's `bom` record. Called before the manifest is written.
 */
export async function writeBundleBom(dir: string, source: BomSource): Promise<{ file: BundleFile; record: BomRecord }> {
  const bytes = await renderBundleBom(dir, source);
  if (bytes.length > MEDIA_LIMITS.bom) {
    throw new BomError(`${BOM_FILE} would be ${bytes.length} bytes, more than the ${MEDIA_LIMITS.bom} bytes Ferry reads back from media.`, 'Split the artifacts over several bundles (the BOM lists every file of every artifact).');
  }
  await writeFileAtomic(join(dir, BOM_FILE), bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { file: { path: BOM_FILE, size: bytes.length, sha256 }, record: { path: BOM_FILE, sha256, format: BOM_FORMAT, specVersion: BOM_SPEC_VERSION } };
}
