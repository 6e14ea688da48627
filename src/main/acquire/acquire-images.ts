import { join } from 'node:path';
import { FerryError } from '../../shared/errors';
import { copyVerified, fetchRegistryBlob } from './blob-fetch';
import { Meter, type AcquireContext, type Task } from './tasks';
import { writeVerified } from '../io/verified-write';
import type { OciLayout } from '../oci/layout';
import type { LockDescriptor, LockImage } from '../recipes/lock-schema';
import { formatReference } from '../registry/reference';
import { tarEntries } from '../sources/archive-scan';
import { blobFile } from '../bundle/bundle-files';
import type { BundleFile, ImageArtifact } from '../bundle/manifest-schema';
import type { Progress } from '../jobs/progress';
import { carrySignatures } from '../signatures/carry';

export interface AcquiredImages {
  artifacts: ImageArtifact[];
  files: BundleFile[];
}

export function imageItemId(img: LockImage): string {
  return `image:${img.source}`;
}

const manifestBytes = (img: LockImage): Buffer => Buffer.from(img.manifest, 'base64');

/** Declares one progress item per image; a layer shared with an earlier image counts there only. */
export function declareImageItems(images: LockImage[], progress: Progress): void {
  const counted = new Set<string>();
  for (const img of images) {
    let total = manifestBytes(img).length;
    for (const d of [img.config, ...img.layers]) {
      if (counted.has(d.digest)) continue;
      counted.add(d.digest);
      total += d.size;
    }
    progress.item(imageItemId(img), img.source, total);
  }
}

/** Blobs of one archive, taken in a single pass over it. */
function archiveTask(ctx: AcquireContext, layout: OciLayout, path: string, owned: { img: LockImage; desc: LockDescriptor }[]): Task {
  return {
    itemId: imageItemId(owned[0]!.img),
    run: async () => {
      const wanted = new Map<string, { img: LockImage; desc: LockDescriptor; meter: Meter }>();
      for (const o of owned) {
        const meter = new Meter(ctx, imageItemId(o.img), true);
        if (await layout.hasBlob(o.desc.digest, o.desc.size)) meter.reused(o.desc.size);
        else wanted.set(o.desc.at!, { ...o, meter });
      }
      if (wanted.size === 0) return;
      for await (const e of tarEntries(path, ctx.signal)) {
        const w = wanted.get(e.name);
        if (!w) {
          e.body.resume();
          continue;
        }
        wanted.delete(e.name);
        await writeVerified(e.body, layout.blobPath(w.desc.digest), { sha256: w.desc.digest.slice(7), size: w.desc.size }, { signal: ctx.signal, onBytes: w.meter.bytes });
      }
      if (wanted.size > 0) throw new FerryError(`${path}: ${[...wanted.keys()].join(', ')} missing from the archive`, 'The archive changed since it was resolved; resolve again.');
    },
  };
}

/**
 * One task per blob to fetch (layers shared between images are fetched once, by the first
 * image that names them), or per archive for images read from `docker save` / OCI archives.
 * Blobs already in the layout are verified by name and not fetched again.
 */
export function imageTasks(images: LockImage[], layout: OciLayout, ctx: AcquireContext): Task[] {
  const owner = new Map<string, { img: LockImage; desc: LockDescriptor }>();
  for (const img of images) for (const desc of [img.config, ...img.layers]) if (!owner.has(desc.digest)) owner.set(desc.digest, { img, desc });
  const tasks: Task[] = [];
  const archives = new Map<string, { img: LockImage; desc: LockDescriptor }[]>();
  for (const o of owner.values()) {
    const { img, desc } = o;
    if (img.from === 'registry') {
      tasks.push({
        itemId: imageItemId(img),
        run: async () => {
          const meter = new Meter(ctx, imageItemId(img));
          if (await layout.hasBlob(desc.digest, desc.size)) return meter.reused(desc.size);
          await fetchRegistryBlob(ctx, img, desc, layout.blobPath(desc.digest), meter);
        },
      });
    } else if (img.from === 'oci') {
      tasks.push({
        itemId: imageItemId(img),
        run: async () => {
          const meter = new Meter(ctx, imageItemId(img), true);
          if (await layout.hasBlob(desc.digest, desc.size)) return meter.reused(desc.size);
          await copyVerified(ctx, join(img.path!, ...desc.at!.split('/')), layout.blobPath(desc.digest), { sha256: desc.digest.slice(7), size: desc.size }, meter);
        },
      });
    } else archives.set(img.path!, [...(archives.get(img.path!) ?? []), o]);
  }
  for (const [path, owned] of archives) tasks.push(archiveTask(ctx, layout, path, owned));
  return tasks;
}

/** Writes each platform manifest byte for byte and names each image in the layout's index. */
export async function finishImages(images: LockImage[], layout: OciLayout, progress: Progress): Promise<AcquiredImages> {
  const artifacts: ImageArtifact[] = [];
  const files: BundleFile[] = [];
  for (const img of images) {
    const bytes = manifestBytes(img);
    const desc = await layout.putBlobBytes(bytes, img.mediaType);
    if (desc.digest !== img.digest) throw new FerryError(`The lock holds manifest bytes for ${img.source} that hash to ${desc.digest}, not ${img.digest}`, 'The lock is damaged; resolve again.');
    const name = formatReference({ registry: img.registry, repository: img.repository, ...(img.tag ? { tag: img.tag } : {}) });
    await layout.addImage(name, desc);
    progress.advance(bytes.length, imageItemId(img));
    progress.itemState(imageItemId(img), 'done');
    files.push(blobFile(img.digest, bytes.length), ...[img.config, ...img.layers].map((d) => blobFile(d.digest, d.size)));
    // Signatures and attestations found at resolve travel beside the image (signatures/carry.ts).
    const signed = await carrySignatures(img.signatures, img, layout);
    files.push(...signed.files);
    artifacts.push({
      kind: 'image',
      name,
      source: img.source,
      registry: img.registry,
      repository: img.repository,
      ...(img.tag ? { tag: img.tag } : {}),
      ...(img.target ? { target: img.target } : {}),
      digest: img.digest,
      ...(img.indexDigest ? { indexDigest: img.indexDigest } : {}),
      mediaType: img.mediaType,
      platform: img.platform,
      size: img.size,
      config: img.config.digest,
      layers: img.layers.map((l) => l.digest),
      ...(signed.record ? { signatures: signed.record } : {}),
    });
  }
  return { artifacts, files };
}
