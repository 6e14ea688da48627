import { resolve } from 'node:path';
import type Dockerode from 'dockerode';
import type { ImportedImage, ImportResult, ImportSkip, OllamaRestored } from '../../shared/api';
import type { BundleManifest, ImageArtifact, ModelArtifact, OllamaArtifact } from '../bundle/manifest-schema';
import { parseRegistryTarget, type RegistryTarget } from '../bundle/registry-target';
import type { CustodyStore } from '../custody/custody-store';
import { carriedModels, ensureOmittedModelFiles } from '../delta/delta-check';
import type { HashPool } from '../hash/hash-pool';
import type { Progress } from '../jobs/progress';
import { ollamaArtifacts } from '../ollama/import-ollama';
import { restoreOllama, type RestoreOptions } from '../ollama/restore';
import type { Credentials } from '../registry/auth';
import { RegistryClient } from '../registry/registry-client';
import { recordDelivery } from './deliver-custody';
import { loadImagesIntoEngine, refuseDeltaForEngine, type EngineImage } from './deliver-engine';
import { pushImagesToRegistry, readImageManifests, type ImageManifestRead } from './deliver-images';
import { placeModelFiles, type PlacedModel } from './deliver-models';

/**
 * THE delivery of a bundle to its targets, used by `ferry import` and the install's push, models and
 * ollama steps (and so by upgrades): registry push, engine load (Docker or Podman), model placement,
 * Ollama restore. Every bundle file is read once through the hostile-media reader and proven while
 * its bytes stream to the target; nothing becomes visible before its whole content is proven; each
 * target's delivery is one `imported` custody event saying exactly what was delivered (and, when it
 * stopped, what had been and why).
 */
export interface Delivery {
  /** The bundle folder (absolute). */
  dir: string;
  manifest: BundleManifest;
  custody: CustodyStore;
  progress: Progress;
  /** Extra fields for every custody event (an install's id). */
  details?: Record<string, unknown>;
  /** Image manifests already read and proven (by the pre-check); read here when absent. */
  manifests?: Map<string, ImageManifestRead>;
}

export function bundleImages(m: BundleManifest): ImageArtifact[] {
  return m.artifacts.filter((a): a is ImageArtifact => a.kind === 'image');
}

export function bundleModels(m: BundleManifest): ModelArtifact[] {
  return m.artifacts.filter((a): a is ModelArtifact => a.kind === 'model');
}

async function manifestsFor(d: Delivery, images: ImageArtifact[]): Promise<Map<string, ImageManifestRead>> {
  d.manifests ??= new Map();
  const missing = images.filter((a) => !d.manifests!.has(a.digest));
  if (missing.length > 0) for (const [k, v] of await readImageManifests(d.dir, missing, d.manifest.files, d.progress.signal)) d.manifests.set(k, v);
  return d.manifests;
}

export interface RegistryAccess {
  /** HOST[:PORT][/PREFIX] */
  registry: string;
  insecureRegistries?: string[];
  caFile?: string;
  credentials?: Credentials;
}

/** A client for the registry part of `HOST[:PORT][/PREFIX]`, and the parsed target. */
export function registryClientFor(r: RegistryAccess): { client: RegistryClient; target: RegistryTarget } {
  const target = parseRegistryTarget(r.registry);
  const client = new RegistryClient({ registry: target.registry, insecure: (r.insecureRegistries ?? []).includes(target.registry), caFile: r.caFile, credentials: r.credentials });
  return { client, target };
}

/** Images into a registry; each image's tag appears only once all its blobs are proven. */
export async function deliverToRegistry(d: Delivery, images: ImageArtifact[], access: RegistryAccess): Promise<ImportedImage[]> {
  const { client, target } = registryClientFor(access);
  const manifests = await manifestsFor(d, images);
  return recordDelivery<ImportedImage>(
    { custody: d.custody, bundleId: d.manifest.bundleId, into: 'registry', details: { ...d.details, registry: access.registry }, listKey: 'images', show: (i: ImportedImage) => ({ target: i.target, digest: i.digest }) },
    (done) => pushImagesToRegistry({ dir: d.dir, images, manifests, client, target, delta: d.manifest.delta }, d.progress, done),
  );
}

/** Images into the container engine; tagged only after every image loaded from proven bytes. */
export async function deliverToEngine(d: Delivery, images: ImageArtifact[], docker: Dockerode): Promise<EngineImage[]> {
  refuseDeltaForEngine(d.dir, d.manifest);
  const manifests = await manifestsFor(d, images);
  return recordDelivery<EngineImage>({ custody: d.custody, bundleId: d.manifest.bundleId, into: 'docker', details: d.details, listKey: 'images' }, (done) =>
    loadImagesIntoEngine(d.dir, images, manifests, docker, d.progress, done),
  );
}

/**
 * Model files into `<modelsDir>/<org>/<name>`. With `pool`, first checks that the files a delta leaves
 * out are already there with their sha256 (without it, the caller checked that before anything else).
 */
export async function deliverModels(d: Delivery, models: ModelArtifact[], modelsDir: string, pool: HashPool | undefined, who: Record<string, string> = {}): Promise<PlacedModel[]> {
  if (pool) await ensureOmittedModelFiles(d.manifest.delta, modelsDir, pool, d.progress.signal);
  return recordDelivery<PlacedModel>({ custody: d.custody, bundleId: d.manifest.bundleId, into: 'models', details: d.details, listKey: 'models' }, (done) =>
    placeModelFiles(d.dir, carriedModels(models, d.manifest.delta), modelsDir, d.progress, done, who),
  );
}

/** Ollama models into an OLLAMA_MODELS folder; a model's manifest is written only after all its blobs. */
export async function deliverOllama(d: Delivery, artifacts: OllamaArtifact[], ollamaModels: string, opts: RestoreOptions = {}): Promise<OllamaRestored[]> {
  const show = (m: OllamaRestored) => ({ name: m.name, digest: m.digest, size: m.size, blobsWritten: m.blobsWritten, blobsSkipped: m.blobsSkipped });
  return recordDelivery<OllamaRestored>({ custody: d.custody, bundleId: d.manifest.bundleId, into: 'ollama', details: { ...d.details, dir: ollamaModels }, listKey: 'models', show }, (done) =>
    restoreOllama(d.dir, artifacts, ollamaModels, d.progress, opts, done),
  );
}

/** What `ferry import` was asked to deliver where. */
export interface ImportTargets {
  registry?: RegistryAccess;
  docker?: () => Dockerode;
  modelsDir?: string;
  ollamaModels?: string;
  pool: HashPool;
}

/**
 * Delivers a bundle to every target asked for, in order (registry, engine, models, Ollama); a failure
 * stops everything after it. Names each target it skipped and why.
 */
export async function deliverBundle(d: Delivery, t: ImportTargets): Promise<ImportResult> {
  const images = bundleImages(d.manifest);
  const models = carriedModels(bundleModels(d.manifest), d.manifest.delta).filter((m) => m.files.length > 0);
  const ollama = ollamaArtifacts(d.manifest);
  const result: ImportResult = { bundleId: d.manifest.bundleId, registry: [], docker: [], models: [], skipped: [] };
  // What a delta leaves out must already be here: checked before anything is pushed or placed.
  if (t.docker && images.length > 0) refuseDeltaForEngine(d.dir, d.manifest);
  if (t.modelsDir) await ensureOmittedModelFiles(d.manifest.delta, t.modelsDir, t.pool, d.progress.signal);
  const skip = (target: ImportSkip['target'], asked: unknown, has: boolean, what: string): boolean => {
    if (asked && has) return false;
    result.skipped.push({ target, reason: asked ? `no ${what} in this bundle` : 'not asked' });
    return true;
  };
  if (!skip('registry', t.registry, images.length > 0, 'image')) {
    d.progress.phase('pushing to registry');
    result.registry = await deliverToRegistry(d, images, t.registry!);
  }
  if (!skip('docker', t.docker, images.length > 0, 'image')) {
    d.progress.phase('loading into the container engine');
    result.docker = (await deliverToEngine(d, images, t.docker!())).map(({ source, tag, imageId }) => ({ source, tag, imageId }));
  }
  if (!skip('models', t.modelsDir, models.length > 0, 'model file')) {
    d.progress.phase('placing models');
    result.models = await deliverModels(d, bundleModels(d.manifest), t.modelsDir!, undefined);
  }
  if (!skip('ollama', t.ollamaModels, ollama.length > 0, 'Ollama model')) {
    d.progress.phase('restoring Ollama models');
    result.ollama = await deliverOllama(d, ollama, resolve(t.ollamaModels!));
  } else if (t.ollamaModels) result.ollama = [];
  return result;
}
