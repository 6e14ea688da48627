import { lstat, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../shared/errors';
import { blobFile, smallFile } from '../bundle/bundle-files';
import { IMAGES_DIR, type BundleFile, type ImageArtifact } from '../bundle/manifest-schema';
import type { Progress } from '../jobs/progress';
import { OciLayout } from '../oci/layout';
import type { Lock, LockDerived } from '../recipes/lock-schema';
import { formatReference } from '../registry/reference';
import { deriveImage } from './derive-image';
import { fetchNpmTarball, integrityMatches } from './npm-package';
import { npmLayer } from './npm-layer';

// Builds the lock's derived images once their bases are in the bundle's image layout: each npm
// tarball is a verified download (kept in <bundle>/npm/ until the image is built, so an
// interrupted run does not fetch it again), laid out as one layer appended to the base.

/** Derived images are named under this registry in the layout and by `docker load`: built here, pulled from nowhere. */
export const DERIVED_REGISTRY = 'localhost';
const TARBALL_DIR = 'npm';

export interface AcquiredDerived {
  artifacts: ImageArtifact[];
  files: BundleFile[];
  /** For the custody log: what each derived image was built from. */
  events: { id: string; source: string; digest: string; size: number; base: string; npm: LockDerived['npm'] }[];
}

export const derivedItemId = (d: LockDerived): string => `derived:${d.id}`;
export const derivedSource = (d: LockDerived): string => `${d.baseSource} + npm:${d.npm.package}@${d.npm.version}`;

async function tarball(d: LockDerived, dir: string, progress: Progress): Promise<Buffer> {
  const dest = join(dir, TARBALL_DIR, `${d.npm.package.replace('/', '+')}-${d.npm.version}.tgz`);
  const st = await lstat(dest).catch(() => undefined);
  if (st?.isFile() && st.size === d.npm.size) {
    const kept = await readFile(dest);
    if (integrityMatches(d.npm, kept)) {
      progress.advance(kept.length, derivedItemId(d));
      return kept;
    }
    await rm(dest, { force: true });
  }
  await fetchNpmTarball(d.npm, dest, { signal: progress.signal, onBytes: (n) => progress.advance(n, derivedItemId(d)) });
  const bytes = await readFile(dest);
  // Checked again as read: the file is what the layer is made from.
  if (!integrityMatches(d.npm, bytes)) throw new FerryError(`npm package ${d.npm.package}@${d.npm.version}: ${dest} changed after it was verified`, 'Acquire again.');
  return bytes;
}

/** Builds every derived image of `lock` into the layout under `<dir>/images` (bases must be there). */
export async function acquireDerived(lock: Lock, dir: string, progress: Progress): Promise<AcquiredDerived> {
  const out: AcquiredDerived = { artifacts: [], files: [], events: [] };
  if (lock.derived.length === 0) return out;
  for (const d of lock.derived) progress.item(derivedItemId(d), `${derivedSource(d)} → ${d.target}`, d.npm.size);
  const layout = await OciLayout.open(join(dir, IMAGES_DIR));
  const bases = new Map(lock.images.map((i) => [i.id, { digest: i.digest, mediaType: i.mediaType, platform: i.platform }]));
  for (const d of lock.derived) {
    const base = bases.get(d.from);
    if (!base) throw new FerryError(`Derived image ${d.id}: its base "${d.from}" is not in the lock`, 'The lock is damaged; resolve again.');
    const tgz = await tarball(d, dir, progress);
    const layer = await npmLayer(tgz, d.npm);
    const built = await deriveImage(layout, base.digest, base.mediaType, { gz: layer.gz, diffId: layer.diffId, createdBy: `ferry: npm install --global ${d.npm.package}@${d.npm.version}` });
    const name = formatReference({ registry: DERIVED_REGISTRY, repository: d.target, ...(d.tag ? { tag: d.tag } : {}) });
    await layout.addImage(name, built.manifest);
    bases.set(d.id, { digest: built.manifest.digest, mediaType: built.manifest.mediaType, platform: base.platform });
    const source = derivedSource(d);
    out.artifacts.push({
      kind: 'image',
      name,
      source,
      registry: DERIVED_REGISTRY,
      repository: d.target,
      ...(d.tag ? { tag: d.tag } : {}),
      target: d.target,
      digest: built.manifest.digest,
      mediaType: built.manifest.mediaType,
      platform: base.platform,
      size: built.size,
      config: built.config.digest,
      layers: built.layers.map((l) => l.digest),
    });
    out.files.push(blobFile(built.manifest.digest, built.manifest.size), blobFile(built.config.digest, built.config.size), ...built.layers.map((l) => blobFile(l.digest, l.size)));
    out.events.push({ id: d.id, source, digest: built.manifest.digest, size: built.size, base: d.baseSource, npm: d.npm });
    progress.itemState(derivedItemId(d), 'done');
  }
  await rm(join(dir, TARBALL_DIR), { recursive: true, force: true });
  // index.json changed: its entry replaces the one acquisition listed.
  out.files.push(await smallFile(dir, `${IMAGES_DIR}/index.json`));
  return out;
}
