import { resolve } from 'node:path';
import type { ArtifactView, BundleDocument, RuntimeSurfaceView } from '../../shared/api-review';
import { readMediaFile } from '../io/media-file';
import { readBundleRecipe } from '../recipes/bundle-recipe';
import { runtimeSurface } from '../recipes/recipe-check';
import { parseImageManifest } from '../registry/manifest-schema';
import { filesDestination, identityProblems, imageDestination, modelDestination, ollamaDestination } from './destinations';
import { IMAGES_DIR, type BundleManifest, type ImageArtifact } from './manifest-schema';
import { isBlocked } from '../review/blocked';
import { documentOverrides } from '../review/overrides';
import { creationVerdict } from './creation';
import { readManifest } from './manifest-io';
import { bomDocument } from '../bom/bom-document';
import { kitDocument } from '../media/kit-check';

/** The manifest as a reviewer reads it: artifacts with sources, digests, sizes and scan results. */
export async function bundleDocument(dir: string): Promise<BundleDocument> {
  const abs = resolve(dir);
  const { manifest: m, sha256 } = await readManifest(abs);
  return {
    dir: abs,
    manifestSha256: sha256,
    bundleId: m.bundleId,
    createdAt: m.createdAt,
    createdBy: { actor: m.createdBy.actor, station: m.createdBy.station, ...(m.createdBy.role ? { role: m.createdBy.role } : {}), ...(m.createdBy.creatorFingerprint ? { fingerprint: m.createdBy.creatorFingerprint } : {}), ...(m.createdBy.context ? { context: m.createdBy.context } : {}) },
    creation: creationVerdict(m),
    blocked: isBlocked(m),
    ...(await documentOverrides(abs)),
    ...(m.scan ? { scannedAt: m.scan.scannedAt } : {}),
    files: m.files.length,
    bytes: m.files.reduce((s, f) => s + f.size, 0),
    ...(await reviewedArtifacts(abs, m)),
    ...(await bomDocument(abs, m)),
    ...(await kitDocument(abs)),
  };
}

/** A destination as review shows it: the same function delivery uses, or why it cannot be derived. */
function shown(fn: () => { display: string }): string {
  try {
    return fn().display;
  } catch (err) {
    return `REFUSED: ${(err as Error).message}`;
  }
}

/** The layers as the image manifest in images/ lists them (undefined when it cannot be read as one). */
async function manifestLayers(dir: string, a: ImageArtifact): Promise<ImageArtifactViewLayers | undefined> {
  try {
    const bytes = await readMediaFile(dir, `${IMAGES_DIR}/blobs/sha256/${a.digest.slice(7)}`, 'oci-json');
    return parseImageManifest(bytes, a.name).layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType }));
  } catch {
    return undefined;
  }
}
type ImageArtifactViewLayers = { digest: string; size: number; mediaType: string }[];

/** Every artifact of every kind with its destination, the image manifests' own layer lists, the recipe's runtime surface. */
async function reviewedArtifacts(dir: string, m: BundleManifest): Promise<{ artifacts: ArtifactView[]; runtime?: RuntimeSurfaceView; deliveryProblems?: string[] }> {
  const artifacts: ArtifactView[] = [];
  for (const a of m.artifacts) {
    if (a.kind === 'image') {
      const layers = await manifestLayers(dir, a);
      artifacts.push({
        kind: 'image', name: a.name, source: a.source, digest: a.digest, platform: a.platform, size: a.size, layers: a.layers,
        registry: a.registry, repository: a.repository, ...(a.tag !== undefined ? { tag: a.tag } : {}), ...(a.target !== undefined ? { target: a.target } : {}),
        destination: shown(() => imageDestination(a)), ...(layers ? { manifestLayers: layers } : {}), ...(a.signatures ? { signatures: a.signatures } : {}),
      });
    } else {
      artifacts.push({ kind: 'model', name: a.name, source: a.source, repo: a.repo, revision: a.revision, size: a.size, files: a.files, ...(a.scan ? { scan: a.scan } : {}), destination: shown(() => modelDestination(a)) });
    }
  }
  for (const a of m.extraArtifacts ?? []) {
    if (a.kind === 'ollama') artifacts.push({ kind: 'ollama', name: a.name, source: a.source, digest: a.digest, size: a.size, files: a.files, destination: shown(() => ollamaDestination(a)) });
    else artifacts.push({ kind: 'files', name: a.name, source: a.source, size: a.size, files: a.files, destination: shown(() => filesDestination(a)) });
  }
  const problems = [...m.artifacts, ...(m.extraArtifacts ?? [])].flatMap((a) => identityProblems(a).map((p) => `${p.artifact}: field ${p.field}: ${p.detail}`));
  const runtime = await readBundleRecipe(dir).then((r) => runtimeSurface(r.recipe), () => undefined);
  return { artifacts, ...(runtime ? { runtime } : {}), ...(problems.length ? { deliveryProblems: problems } : {}) };
}
