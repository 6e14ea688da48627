import { openMediaStreamSync } from '../io/media-file';
import type { ImportedImage } from '../../shared/api';
import { mapLimit } from '../core/concurrency';
import type { OciLayout } from '../oci/layout';
import type { Descriptor, RegistryClient } from '../registry/registry-client';
import { FerryError } from '../../shared/errors';
import { ensureAbsentBlobs } from '../delta/delta-check';
import type { BundleDelta, ImageArtifact } from './manifest-schema';
import { imageDestination } from './destinations';
import type { RegistryTarget } from './registry-target';
import type { Progress } from '../jobs/progress';
import { pushSignatures } from '../signatures/carry';

const MAX_MANIFEST = 4 << 20;

/**
 * Pushes each image's blobs (skipping what the registry has, mounting what an earlier
 * repository in this run already holds) and then its manifest, byte-for-byte. Blobs the
 * bundle does not carry (a delta's omissions) must already be in the registry: checked
 * first (and mounted where the delta says), and nothing is pushed when any is missing.
 */
export async function pushImages(
  images: ImageArtifact[],
  layout: OciLayout,
  client: RegistryClient,
  target: RegistryTarget,
  progress: Progress,
  concurrency = 4,
  delta?: BundleDelta,
): Promise<ImportedImage[]> {
  const holder = new Map<string, string>();
  const plans = [];
  for (const a of images) {
    const manifest = JSON.parse((await layout.readBlob(a.digest, MAX_MANIFEST)).toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
    const blobs = [manifest.config, ...manifest.layers];
    const itemId = `push:${a.name}`;
    progress.item(itemId, `push ${a.source}`, blobs.reduce((s, b) => s + b.size, 0));
    plans.push({ a, blobs, itemId });
  }
  await ensureAbsentBlobs(plans, layout, client, target, delta, progress.signal);
  const results: ImportedImage[] = [];
  for (const { a, blobs, itemId } of plans) {
    // The repository and tag review showed (imageDestination renders both).
    const dest = imageDestination(a, target);
    const repo = dest.repository;
    let uploaded = 0;
    let skipped = 0;
    await mapLimit(blobs, concurrency, async (b) => {
      const outcome = await client.pushBlob(repo, b, () => openMediaStreamSync(layout.blobPath(b.digest), { highWaterMark: 1 << 20 }), {
        signal: progress.signal,
        onBytes: (n) => progress.advance(n, itemId),
        mountFrom: holder.get(b.digest),
      });
      if (outcome === 'uploaded') uploaded++;
      else {
        skipped++;
        progress.advance(b.size, itemId);
      }
      if (!holder.has(b.digest)) holder.set(b.digest, repo);
    });
    const bytes = await layout.readBlob(a.digest, MAX_MANIFEST);
    const reference = dest.reference;
    const digest = await client.putManifest(repo, reference, bytes, a.mediaType);
    if (digest !== a.digest) throw new FerryError(`Registry ${target.registry} stored ${repo} as ${digest}, expected ${a.digest}`, 'The registry rewrote the manifest; use a registry that preserves digests.');
    // Its carried signatures next to it, so the offline side's own tools can verify there.
    await pushSignatures(a, layout, client, repo, progress.signal);
    progress.itemState(itemId, 'done');
    const sep = reference.startsWith('sha256:') ? '@' : ':';
    results.push({ source: a.source, target: `${target.registry}/${repo}${sep}${reference}`, digest, blobsUploaded: uploaded, blobsSkipped: skipped });
  }
  return results;
}
