import type { Descriptor, RegistryClient, ResolvedImage } from '../registry/registry-client';
import { formatReference, type ImageReference } from '../registry/reference';
import type { OciLayout } from '../oci/layout';
import { mapLimit } from '../core/concurrency';
import type { Progress } from './verify';
import { blobFile } from './bundle-files';
import type { BundleFile, ImageArtifact } from './manifest-schema';

export interface ImageToAcquire {
  source: string;
  ref: ImageReference;
  client: RegistryClient;
  resolved: ResolvedImage;
}

export interface AcquiredImages {
  artifacts: ImageArtifact[];
  files: BundleFile[];
}

export function imageItemId(img: ImageToAcquire): string {
  return `image:${img.source}`;
}

/** Declares one progress item per image; a layer shared with an earlier image counts there only. */
export function declareImageItems(images: ImageToAcquire[], progress: Progress): void {
  const counted = new Set<string>();
  for (const img of images) {
    let total = img.resolved.manifest.bytes.length;
    for (const d of [img.resolved.config, ...img.resolved.layers]) {
      if (counted.has(d.digest)) continue;
      counted.add(d.digest);
      total += d.size;
    }
    progress.item(imageItemId(img), img.source, total);
  }
}

/**
 * Fetches every blob once (layers shared between images are fetched once), writes each
 * platform manifest byte-for-byte, and names each image in the layout's index.
 */
export async function acquireImages(images: ImageToAcquire[], layout: OciLayout, progress: Progress, concurrency = 4): Promise<AcquiredImages> {
  const unique = new Map<string, { img: ImageToAcquire; desc: Descriptor }>();
  for (const img of images) for (const d of [img.resolved.config, ...img.resolved.layers]) if (!unique.has(d.digest)) unique.set(d.digest, { img, desc: d });

  await mapLimit([...unique.values()], concurrency, async ({ img, desc }) => {
    const itemId = imageItemId(img);
    if (await layout.hasBlob(desc.digest, desc.size)) return progress.advance(desc.size, itemId);
    await img.client.downloadBlob(img.ref.repository, desc, layout.blobPath(desc.digest), {
      signal: progress.signal,
      onBytes: (n) => progress.advance(n, itemId),
    });
  });

  const artifacts: ImageArtifact[] = [];
  const files: BundleFile[] = [];
  for (const img of images) {
    const { manifest, index, config, layers, platform } = img.resolved;
    const desc = await layout.putBlobBytes(manifest.bytes, manifest.mediaType);
    if (desc.digest !== manifest.digest) throw new Error(`layout stored ${desc.digest} for manifest ${manifest.digest}`);
    const name = formatReference({ ...img.ref, digest: undefined });
    await layout.addImage(name, desc);
    progress.advance(manifest.bytes.length, imageItemId(img));
    progress.itemState(imageItemId(img), 'done');
    files.push(blobFile(manifest.digest, manifest.bytes.length), ...[config, ...layers].map((d) => blobFile(d.digest, d.size)));
    artifacts.push({
      kind: 'image',
      name,
      source: img.source,
      registry: img.ref.registry,
      repository: img.ref.repository,
      ...(img.ref.tag ? { tag: img.ref.tag } : {}),
      digest: manifest.digest,
      ...(index ? { indexDigest: index.digest } : {}),
      mediaType: manifest.mediaType,
      platform,
      size: manifest.bytes.length + config.size + layers.reduce((s, l) => s + l.size, 0),
      config: config.digest,
      layers: layers.map((l) => l.digest),
    });
  }
  return { artifacts, files };
}
