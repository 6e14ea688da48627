import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { declareImageItems, finishImages, imageTasks } from './acquire-images';
import { declareModelItems, finishModels, modelTasks } from './acquire-models';
import { smallFile } from '../bundle/bundle-files';
import { IMAGES_DIR, type BundleFile, type ExtraArtifact, type ImageArtifact, type ModelArtifact } from '../bundle/manifest-schema';
import type { Progress } from '../jobs/progress';
import { OciLayout } from '../oci/layout';
import type { Lock } from '../recipes/lock-schema';
import { layoutWithout, modelsToFetch, omittedBlobBytes, seedOmittedModelHashes, withoutOmittedFiles, type AcquireOmissions } from '../delta/delta-acquire';
import { declareFileItems, fileTasks, finishFiles } from './acquire-files';
import { declareOllamaItems, finishOllama, ollamaTasks } from './acquire-ollama';
import type { RegistryPool } from './registry-pool';
import { runTasks, type AcquireContext, type AcquireStats, type VerifiedFiles } from './tasks';

export const DEFAULT_CONCURRENCY = 8;

export interface AcquireOptions {
  dir: string;
  progress: Progress;
  registries: RegistryPool;
  verified: VerifiedFiles;
  hubToken?: string;
  hfCache?: string;
  /** Parallel transfers (blobs and files), default 8. */
  concurrency?: number;
  /** A delta bundle: blobs and model files the offline side already holds are not acquired. */
  omit?: AcquireOmissions;
}

export interface Acquired {
  artifacts: (ImageArtifact | ModelArtifact)[];
  extraArtifacts: ExtraArtifact[];
  files: BundleFile[];
  stats: AcquireStats;
}

/**
 * Acquires everything a lock pins into `dir`: all blobs and files of all artifacts go through
 * one pool of parallel transfers; each byte is hashed once as it streams; what an earlier run
 * verified is kept, and its partial downloads are continued. Manifests and index come last.
 */
export async function acquireLock(lock: Lock, o: AcquireOptions): Promise<Acquired> {
  const { progress } = o;
  declareImageItems(lock.images, progress);
  const models = modelsToFetch(lock.models, o.omit);
  declareModelItems(models, progress);
  declareOllamaItems(lock.ollama, progress);
  declareFileItems(lock.files, progress);
  await mkdir(o.dir, { recursive: true });
  const layout = await OciLayout.create(join(o.dir, IMAGES_DIR));
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(progress.signal.reason);
  if (progress.signal.aborted) onAbort();
  progress.signal.addEventListener('abort', onAbort, { once: true });
  const stats: AcquireStats = { fetchedBytes: 0, localBytes: 0, reusedBytes: 0, resumedFiles: 0 };
  const ctx: AcquireContext = { dir: o.dir, progress, signal: controller.signal, registries: o.registries, hubToken: o.hubToken, hfCache: o.hfCache, stats, verified: o.verified };
  const modelHashes = new Map<string, string>();
  seedOmittedModelHashes(lock.models, o.omit, modelHashes);
  try {
    const tasks = [...imageTasks(lock.images, layoutWithout(layout, o.omit), ctx), ...modelTasks(models, ctx, modelHashes), ...ollamaTasks(lock.ollama, ctx), ...fileTasks(lock.files, ctx)];
    await runTasks(tasks, o.concurrency ?? DEFAULT_CONCURRENCY, controller);
  } finally {
    progress.signal.removeEventListener('abort', onAbort);
    o.verified.flush?.();
  }
  stats.reusedBytes -= omittedBlobBytes(lock.images, o.omit);
  const img = await finishImages(lock.images, layout, progress);
  const mdl = finishModels(lock.models, modelHashes, progress);
  const oll = await finishOllama(lock.ollama, o.dir, progress);
  const fls = finishFiles(lock.files, progress);
  const files = [...withoutOmittedFiles([...img.files, ...mdl.files], lock.models, o.omit), ...oll.files, ...fls.files, await smallFile(o.dir, `${IMAGES_DIR}/oci-layout`), await smallFile(o.dir, `${IMAGES_DIR}/index.json`)];
  return { artifacts: [...img.artifacts, ...mdl.artifacts], extraArtifacts: [...oll.artifacts, ...fls.artifacts], files, stats };
}
