import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { UsageError } from '../../shared/errors';
import { IMAGES_DIR, type BundleManifest, type ImageArtifact } from '../bundle/manifest-schema';
import { loadIntoDocker } from '../docker/docker-loader';
import type { Progress } from '../jobs/progress';
import type { ImageManifestRead } from './deliver-images';

/** An image loaded into the engine and tagged. */
export interface EngineImage {
  source: string;
  tag: string;
  imageId: string;
  digest: string;
}

/** The tag an image is loaded into the engine under: its source reference (or a digest-derived tag). */
export function dockerTag(a: Pick<ImageArtifact, 'registry' | 'repository' | 'tag' | 'digest'>): string {
  return `${a.registry}/${a.repository}:${a.tag ?? `digest-${a.digest.slice(7, 19)}`}`;
}

/** A delta leaves out blobs the offline registry holds: it cannot be loaded into an engine. */
export function refuseDeltaForEngine(dir: string, m: BundleManifest): void {
  if (!m.delta) return;
  throw new UsageError(
    `Bundle ${dir} is a delta (made against the inventory of ${m.delta.station}); it can only go into a registry that holds what it leaves out, not be loaded into a container engine.`,
    'Deliver it to that registry (import --registry, or plan the install with --registry), then pull from there; or bring the full bundle.',
  );
}

/**
 * Loads the images into the engine (Docker or Podman, through its API) as one docker-archive
 * streamed from the bundle: each blob read once and proven as it streams, the load aborted on a
 * mismatch; tags are applied only after every image loaded. All or nothing is appended to `done`.
 */
export async function loadImagesIntoEngine(dir: string, images: ImageArtifact[], manifests: Map<string, ImageManifestRead>, docker: Dockerode, progress: Progress, done: EngineImage[]): Promise<EngineImage[]> {
  const itemId = 'docker:load';
  let declared = false;
  const loaded = await loadIntoDocker(
    docker,
    join(dir, IMAGES_DIR),
    images.map((a) => ({ manifestDigest: a.digest, tag: dockerTag(a) })),
    {
      signal: progress.signal,
      manifests: new Map([...manifests].map(([d, m]) => [d, m.bytes])),
      labelPrefix: `${IMAGES_DIR}/`,
      onPlan: (plan) => {
        declared = true;
        progress.item(itemId, 'load into the engine', plan.totalBytes);
      },
      onBytes: (n) => progress.advance(n, itemId),
    },
  ).catch((err: unknown) => {
    if (declared) progress.itemState(itemId, 'failed');
    throw err;
  });
  progress.itemState(itemId, 'done');
  done.push(...loaded.map((l, i) => ({ source: images[i]!.source, tag: l.tag, imageId: l.imageId, digest: images[i]!.digest })));
  return done;
}
