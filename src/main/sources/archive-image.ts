import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { z } from 'zod';
import { FerryError, UsageError } from '../../shared/errors';
import type { LockDescriptor, LockImage } from '../recipes/lock-schema';
import { platformOfConfig } from '../registry/config-platform';
import { parseImageManifest, parseIndex, toDescriptor } from '../registry/manifest-schema';
import { isImageManifestMediaType, isIndexMediaType, OCI_CONFIG, OCI_MANIFEST } from '../registry/media-types';
import { formatPlatform, parsePlatform, selectPlatformManifest } from '../registry/platform';
import { parseReference, type ImageReference } from '../registry/reference';
import { smallEntry, type ArchiveScan } from './archive-scan';

// skopeo (containers/image) finds only OCI media types in an OCI layout's index, so images read
// from docker save archives get an OCI manifest, as `skopeo copy docker-archive: oci:` writes it.
export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
const REF_NAME = 'org.opencontainers.image.ref.name';
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blobAt = (digest: string): string => `blobs/sha256/${digest.slice(7)}`;

const dockerManifestSchema = z.array(z.looseObject({ Config: z.string().max(1024), RepoTags: z.array(z.string().max(1024)).nullable().optional(), Layers: z.array(z.string().max(1024)).max(1000) })).max(10_000);

export interface ArchiveImageRequest {
  id: string;
  source: string;
  transport: 'oci' | 'oci-archive' | 'docker-archive' | 'docker-daemon';
  path: string;
  name?: string;
  target?: string;
  platform: string;
}

function canonical(name: string, where: string): ImageReference {
  try {
    return parseReference(name);
  } catch (err) {
    throw new UsageError(`${where}: image name "${name}" is not a reference: ${(err as Error).message}`, 'Name the image as REPOSITORY:TAG after the path, e.g. oci-archive:app.tar:registry.example/app:1.0');
  }
}

function lockImage(req: ArchiveImageRequest, ref: ImageReference, manifest: Buffer, mediaType: string, config: LockDescriptor, layers: LockDescriptor[], platform: string, indexDigest?: string): LockImage {
  return {
    id: req.id,
    source: req.source,
    from: req.transport,
    path: req.path,
    registry: ref.registry,
    repository: ref.repository,
    ...(ref.tag ? { tag: ref.tag } : {}),
    target: req.target ?? ref.repository.split('/').pop()!,
    digest: sha(manifest),
    ...(indexDigest ? { indexDigest } : {}),
    mediaType,
    platform,
    manifest: manifest.toString('base64'),
    config,
    layers,
    size: manifest.length + config.size + layers.reduce((s, l) => s + l.size, 0),
  };
}

/** An image from an OCI layout (folder or archive): chosen by its ref name, then by platform. */
export function resolveOciImage(req: ArchiveImageRequest, scan: ArchiveScan): LockImage {
  const where = `${req.transport}:${req.path}`;
  const index = parseIndex(smallEntry(scan, 'index.json', where), where);
  const named = index.manifests.filter((m) => (req.name ? m.annotations?.[REF_NAME] === req.name : true));
  if (named.length !== 1) {
    const names = index.manifests.map((m) => m.annotations?.[REF_NAME]).filter(Boolean);
    throw new UsageError(`${where}: ${named.length === 0 ? `no image named "${req.name}"` : 'holds several images'}`, `Name one after the path: ${names.map((n) => `${req.transport}:${req.path}:${n}`).join(', ') || '(the index names none)'}.`);
  }
  const name = req.name ?? named[0]!.annotations?.[REF_NAME];
  if (!name) throw new UsageError(`${where}: the image has no name`, `Give one after the path, e.g. ${req.transport}:${req.path}:registry.example/app:1.0`);
  let desc = toDescriptor(named[0]!);
  let indexDigest: string | undefined;
  if (isIndexMediaType(desc.mediaType)) {
    indexDigest = desc.digest;
    const inner = parseIndex(smallEntry(scan, blobAt(desc.digest), where), where);
    desc = selectPlatformManifest(inner.manifests.map(toDescriptor), parsePlatform(req.platform), where);
  }
  if (!isImageManifestMediaType(desc.mediaType)) throw new FerryError(`${where}: ${desc.mediaType} is not an image manifest`);
  const bytes = smallEntry(scan, blobAt(desc.digest), where);
  if (sha(bytes) !== desc.digest) throw new FerryError(`${where}: manifest ${desc.digest} does not match its digest`, 'The archive is corrupt.');
  const m = parseImageManifest(bytes, where);
  const at = (d: ReturnType<typeof toDescriptor>): LockDescriptor => {
    const size = scan.sizes.get(blobAt(d.digest));
    if (size !== d.size) throw new FerryError(`${where}: blob ${d.digest} is ${size === undefined ? 'missing' : `${size} bytes, not ${d.size}`}`, 'The archive is incomplete.');
    return { mediaType: d.mediaType, digest: d.digest, size: d.size, at: blobAt(d.digest) };
  };
  const config = at(toDescriptor(m.config));
  const platform = platformOfConfig(smallEntry(scan, config.at!, where), config.digest, where, indexDigest ? undefined : parsePlatform(req.platform));
  return lockImage(req, canonical(name, where), bytes, m.mediaType ?? desc.mediaType ?? OCI_MANIFEST, config, m.layers.map((l) => at(toDescriptor(l))), platform, indexDigest);
}

/**
 * An image from a `docker save` archive (manifest.json + config + uncompressed layer tars):
 * Ferry writes the OCI manifest for it (config digest = image id,
 * layer digests = the config's diff_ids), so the same archive always gives the same digest.
 */
export function resolveDockerArchiveImage(req: ArchiveImageRequest, scan: ArchiveScan): LockImage {
  const where = `${req.transport}:${req.path}`;
  let entries: z.infer<typeof dockerManifestSchema>;
  try {
    entries = dockerManifestSchema.parse(JSON.parse(smallEntry(scan, 'manifest.json', where).toString('utf8')));
  } catch (err) {
    if (err instanceof FerryError) throw err;
    throw new FerryError(`${where}: manifest.json is not a docker save manifest`, 'Is this a docker-archive (docker save) file?');
  }
  const full = (t: string) => canonical(t, where);
  const wanted = req.name ? full(req.name) : undefined;
  const same = (t: string) => wanted !== undefined && (() => { const r = full(t); return r.registry === wanted.registry && r.repository === wanted.repository && r.tag === wanted.tag; })();
  const chosen = wanted ? entries.filter((e) => (e.RepoTags ?? []).some(same)) : entries;
  if (chosen.length !== 1) {
    const tags = entries.flatMap((e) => e.RepoTags ?? []);
    throw new UsageError(`${where}: ${chosen.length === 0 ? `no image tagged "${req.name}"` : 'holds several images'}`, tags.length ? `Name one after the path: ${tags.map((t) => `${req.transport}:${req.path}:${t}`).join(', ')}` : 'Name the image after the path.');
  }
  const e = chosen[0]!;
  const name = req.name ?? e.RepoTags?.[0] ?? (req.transport === 'docker-daemon' ? undefined : `localhost/${basename(req.path).replace(/[^a-z0-9]+/gi, '-').toLowerCase()}:latest`);
  const configBytes = smallEntry(scan, e.Config, where);
  const configDigest = sha(configBytes);
  let diffIds: string[];
  try {
    diffIds = z.object({ rootfs: z.object({ diff_ids: z.array(z.string().regex(/^sha256:[a-f0-9]{64}$/)) }) }).parse(JSON.parse(configBytes.toString('utf8'))).rootfs.diff_ids;
  } catch {
    throw new FerryError(`${where}: the image config has no valid rootfs.diff_ids`, 'The archive is corrupt or not a docker save archive.');
  }
  if (diffIds.length !== e.Layers.length) throw new FerryError(`${where}: ${e.Layers.length} layers but ${diffIds.length} diff_ids in the config`, 'The archive is corrupt.');
  const layers = e.Layers.map((l, i): LockDescriptor => {
    const size = scan.sizes.get(l.replace(/^(\.\/)+/, ''));
    if (size === undefined) throw new FerryError(`${where}: layer ${l} is missing`, 'The archive is incomplete.');
    return { mediaType: OCI_LAYER_TAR, digest: diffIds[i]!, size, at: l.replace(/^(\.\/)+/, '') };
  });
  const config: LockDescriptor = { mediaType: OCI_CONFIG, digest: configDigest, size: configBytes.length, at: e.Config.replace(/^(\.\/)+/, '') };
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: config.mediaType, size: config.size, digest: config.digest },
    layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
  }));
  const platform = platformOfConfig(configBytes, configDigest, where, parsePlatform(req.platform));
  return lockImage(req, full(name ?? req.source), manifest, OCI_MANIFEST, config, layers, platform === 'unknown' ? formatPlatform(parsePlatform(req.platform)) : platform);
}
