import { FerryError } from '../../shared/errors';
import { openMediaStreamSync, readMediaFile } from '../io/media-file';
import { blobFile } from '../bundle/bundle-files';
import { IMAGES_DIR, type BundleFile, type ImageArtifact, type ImageSignatures } from '../bundle/manifest-schema';
import { formatReference } from '../registry/reference';
import { isIndexMediaType } from '../registry/media-types';
import type { OciLayout } from '../oci/layout';
import type { RegistryClient } from '../registry/registry-client';
import type { LockSignatures } from '../recipes/lock-schema';
import { manifestLayers, type BlobReader } from './cosign';

// Signatures and attestations travel in the bundle's OCI layout beside their image, digests
// preserved: written from the lock (acquire), listed in the manifest (`signatures.artifacts`, and
// every blob in `files`), named in index.json under their tag (skopeo/oras can read them), pushed
// next to their image on the offline side (tag under the image's target repository, referrers by digest).

const MAX_MANIFEST = 4 << 20;
const MAX_BLOB = 1 << 20;

/** Writes an image's signature artifacts into the layout; returns the files and the manifest record. */
export async function carrySignatures(s: LockSignatures | undefined, img: { registry: string; repository: string; source: string }, layout: OciLayout): Promise<{ files: BundleFile[]; record?: ImageSignatures }> {
  if (!s) return { files: [] };
  const files: BundleFile[] = [];
  for (const a of s.artifacts) {
    for (const b of a.blobs) {
      if (b.data === undefined) throw new FerryError(`The lock carries signature blob ${b.digest} of ${img.source} without its content`, 'The lock is damaged; resolve again.');
      const d = await layout.putBlobBytes(Buffer.from(b.data, 'base64'), b.mediaType);
      if (d.digest !== b.digest || d.size !== b.size) throw new FerryError(`The lock's signature blob ${b.digest} of ${img.source} hashes to ${d.digest}`, 'The lock is damaged; resolve again.');
      files.push(blobFile(b.digest, b.size));
    }
    const m = await layout.putBlobBytes(Buffer.from(a.manifest, 'base64'), a.mediaType);
    if (m.digest !== a.digest) throw new FerryError(`The lock's signature manifest ${a.digest} of ${img.source} hashes to ${m.digest}`, 'The lock is damaged; resolve again.');
    files.push(blobFile(a.digest, m.size));
    if (a.tag) await layout.addImage(formatReference({ registry: img.registry, repository: img.repository, tag: a.tag }), m);
  }
  const record: ImageSignatures = {
    policy: s.policy,
    verdict: s.verdict,
    ...(s.kind ? { kind: s.kind } : {}),
    ...(s.keyFingerprint ? { keyFingerprint: s.keyFingerprint } : {}),
    ...(s.identity ? { identity: `${s.identity} (${s.issuer ?? ''})` } : {}),
    ...(s.signer ? { signer: s.signer } : {}),
    artifacts: s.artifacts.map((a) => ({ digest: a.digest, mediaType: a.mediaType, ...(a.tag ? { tag: a.tag } : {}), ...(a.artifactType ? { artifactType: a.artifactType } : {}) })),
  };
  return { files, record };
}

const blobPath = (digest: string): string => `${IMAGES_DIR}/blobs/sha256/${digest.slice(7)}`;

/** Reads carried signature blobs from a bundle folder through the media reader, bounded; the digest is checked by the verifier. */
export function bundleBlobs(bundleDir: string, signal?: AbortSignal): BlobReader {
  return async (digest) => readMediaFile(bundleDir, blobPath(digest), 'oci-json', { maxBytes: MAX_BLOB, ...(signal ? { signal } : {}) }).catch(() => undefined);
}

/** The config and layer descriptors of a carried artifact manifest (none for an index). */
export function artifactBlobs(bytes: Buffer, mediaType: string): { mediaType: string; digest: string; size: number }[] {
  if (isIndexMediaType(mediaType)) return [];
  const m = manifestLayers(bytes);
  if (!m) return [];
  const all = [...(m.config ? [m.config] : []), ...m.layers];
  return all.filter((d, i) => all.findIndex((x) => x.digest === d.digest) === i).map((d) => ({ mediaType: d.mediaType, digest: d.digest, size: d.size }));
}

/**
 * Pushes an image's carried signatures to `repo` (the image's target repository) after the image
 * itself: blobs, then each manifest under its tag (sha256-<hex>.sig, or the referrers tag) or by
 * digest (a referrer; registries with the referrers API index it by its subject). Indexes last.
 */
export async function pushSignatures(a: ImageArtifact, layout: OciLayout, client: RegistryClient, repo: string, signal?: AbortSignal): Promise<number> {
  const list = [...(a.signatures?.artifacts ?? [])].sort((x, y) => Number(isIndexMediaType(x.mediaType)) - Number(isIndexMediaType(y.mediaType)));
  for (const s of list) {
    const bytes = await layout.readBlob(s.digest, MAX_MANIFEST);
    for (const b of artifactBlobs(bytes, s.mediaType)) {
      await client.pushBlob(repo, b, () => openMediaStreamSync(layout.blobPath(b.digest), { highWaterMark: 1 << 16 }), { ...(signal ? { signal } : {}) });
    }
    const digest = await client.putManifest(repo, s.tag ?? s.digest, bytes, s.mediaType, { ...(signal ? { signal } : {}) });
    if (digest !== s.digest) throw new FerryError(`Registry stored signature ${s.digest} of ${a.source} as ${digest}`, 'The registry rewrote the manifest; use a registry that preserves digests.');
  }
  return list.length;
}
