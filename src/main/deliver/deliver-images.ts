import { join } from 'node:path';
import type { ImportedImage } from '../../shared/api';
import { FerryError } from '../../shared/errors';
import { mapLimit } from '../core/concurrency';
import { ensureAbsentBlobs } from '../delta/delta-check';
import { imageDestination } from '../bundle/destinations';
import { IMAGES_DIR, type BundleDelta, type BundleFile, type ImageArtifact } from '../bundle/manifest-schema';
import type { RegistryTarget } from '../bundle/registry-target';
import type { Progress } from '../jobs/progress';
import { OciLayout } from '../oci/layout';
import { parseImageManifest } from '../registry/manifest-schema';
import type { Descriptor, RegistryClient } from '../registry/registry-client';
import { pushSignatures } from '../signatures/carry';
import { DeliveryMismatchError, readVerified, verifiedChunks } from './verifying-stream';

/** An image's manifest as read (once, proven) from the bundle, with the blobs it names. */
export interface ImageManifestRead {
  bytes: Buffer;
  config: Descriptor;
  layers: Descriptor[];
}

const MAX_IMAGE_MANIFEST = 4 << 20;

/** `images/blobs/sha256/<hex>`: how a blob is named in the bundle (and in errors). */
export const bundleBlobPath = (digest: string): string => `${IMAGES_DIR}/blobs/sha256/${digest.slice(7)}`;

/** Reads each image's manifest blob once, its sha256 proven against the image digest. */
export async function readImageManifests(dir: string, images: ImageArtifact[], files: BundleFile[], signal?: AbortSignal): Promise<Map<string, ImageManifestRead>> {
  const listed = new Map(files.map((f) => [f.path, f]));
  const out = new Map<string, ImageManifestRead>();
  for (const a of images) {
    if (out.has(a.digest)) continue;
    const rel = bundleBlobPath(a.digest);
    const entry = listed.get(rel);
    if (!entry) throw new FerryError(`${rel}: the manifest of image ${a.source} is not in the bundle's file list`, 'The bundle is incomplete; bring a complete copy.');
    if (entry.size > MAX_IMAGE_MANIFEST) throw new FerryError(`${rel}: ${entry.size} bytes is too large for an image manifest`, 'The bundle is damaged or was not written by Ferry.');
    const bytes = await readVerified(dir, rel, { sha256: a.digest.slice(7), size: entry.size }, { signal, bundleDir: dir });
    const m = parseImageManifest(bytes, rel);
    out.set(a.digest, { bytes, config: m.config, layers: m.layers });
  }
  return out;
}

/** A blob's bytes for an upload: the one proven read; a mismatch is kept so a retry does not read again. */
function blobSource(dir: string, b: Descriptor, signal: AbortSignal, seen: { mismatch?: DeliveryMismatchError }): () => AsyncIterable<Uint8Array> {
  return () => {
    if (seen.mismatch) throw seen.mismatch;
    return (async function* () {
      try {
        yield* verifiedChunks(dir, bundleBlobPath(b.digest), { sha256: b.digest.slice(7), size: b.size }, { signal, bundleDir: dir });
      } catch (err) {
        if (err instanceof DeliveryMismatchError) seen.mismatch = err;
        throw err;
      }
    })();
  };
}

export interface RegistryDelivery {
  dir: string;
  images: ImageArtifact[];
  manifests: Map<string, ImageManifestRead>;
  client: RegistryClient;
  target: RegistryTarget;
  delta?: BundleDelta;
  /** Blobs in flight at once per image (default 4). */
  concurrency?: number;
}

/**
 * Pushes each image's blobs (skipping what the registry has, mounting what an earlier repository
 * in this run holds), each read once from the bundle and proven while it uploads; the image's
 * manifest (its tag) goes up only once every blob of THAT image is proven. Each image pushed is
 * appended to `done` as it becomes visible, so a failure leaves an exact record. Blobs a delta
 * leaves out must already be in the registry: checked first, nothing pushed when any is missing.
 */
export async function pushImagesToRegistry(d: RegistryDelivery, progress: Progress, done: ImportedImage[]): Promise<ImportedImage[]> {
  const { dir, client, target } = d;
  const holder = new Map<string, string>();
  const plans = d.images.map((a) => {
    const m = d.manifests.get(a.digest)!;
    const blobs = [m.config, ...m.layers];
    const itemId = `push:${a.name}`;
    progress.item(itemId, `push ${a.source}`, blobs.reduce((s, b) => s + b.size, 0));
    return { a, blobs, itemId, bytes: m.bytes };
  });
  const layout = await OciLayout.open(join(dir, IMAGES_DIR));
  await ensureAbsentBlobs(plans, layout, client, target, d.delta, progress.signal);
  for (const { a, blobs, itemId, bytes } of plans) {
    // The repository and tag review showed (imageDestination renders both).
    const dest = imageDestination(a, target);
    const repo = dest.repository;
    let uploaded = 0;
    let skipped = 0;
    try {
      await mapLimit(blobs, d.concurrency ?? 4, async (b) => {
        const seen: { mismatch?: DeliveryMismatchError } = {};
        const outcome = await client
          .pushBlob(repo, b, blobSource(dir, b, progress.signal, seen), { signal: progress.signal, onBytes: (n) => progress.advance(n, itemId), mountFrom: holder.get(b.digest), sourceProven: true })
          .catch((err: unknown) => {
            throw seen.mismatch ?? err;
          });
        if (outcome === 'uploaded') uploaded++;
        else {
          skipped++;
          progress.advance(b.size, itemId);
        }
        if (!holder.has(b.digest)) holder.set(b.digest, repo);
      });
    } catch (err) {
      progress.itemState(itemId, 'failed');
      throw err;
    }
    const reference = dest.reference;
    const digest = await client.putManifest(repo, reference, bytes, a.mediaType);
    if (digest !== a.digest) throw new FerryError(`Registry ${target.registry} stored ${repo} as ${digest}, expected ${a.digest}`, 'The registry rewrote the manifest; use a registry that preserves digests.');
    const sep = reference.startsWith('sha256:') ? '@' : ':';
    done.push({ source: a.source, target: `${target.registry}/${repo}${sep}${reference}`, digest, blobsUploaded: uploaded, blobsSkipped: skipped });
    // Its carried signatures next to it, so the offline side's own tools can verify there.
    await pushSignatures(a, layout, client, repo, progress.signal);
    progress.itemState(itemId, 'done');
  }
  return done;
}
