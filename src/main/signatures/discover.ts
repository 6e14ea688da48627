import type { LockSignatureArtifact } from '../recipes/lock-schema';
import { isIndexMediaType } from '../registry/media-types';
import { parseIndex } from '../registry/manifest-schema';
import { RegistryError } from '../registry/registry-errors';
import type { FetchedManifest, RegistryClient } from '../registry/registry-client';
import { cosignSignatureTag, manifestLayers, referrersTag } from './cosign';

// Finds the signatures and attestations of an image in its source registry:
//   1. cosign's tag convention, sha256-<hex>.sig in the image's repository;
//   2. the OCI referrers API, GET /v2/<name>/referrers/<digest>, and where the registry has no such
//      API, the referrers tag schema (an index tagged sha256-<hex>).
// Each manifest found is read by digest (verified) with its config and layers, bounded: they travel
// inline in the lock. An artifact with a blob over the bound is not carried (listed in `skipped`).

export const MAX_SIGNATURE_BLOB = 1 << 20;
export const MAX_SIGNATURE_BYTES = 16 << 20;
const MAX_REFERRERS = 50;

export interface Discovered {
  artifacts: LockSignatureArtifact[];
  /** Artifacts found but not carried, with why. */
  skipped: string[];
}

async function manifestOrNone(client: RegistryClient, repo: string, ref: string, signal?: AbortSignal): Promise<FetchedManifest | undefined> {
  try {
    return await client.getManifest(repo, ref, { signal });
  } catch (err) {
    if (err instanceof RegistryError && err.status === 404) return undefined;
    throw err;
  }
}

/** Descriptors of the referrers of `digest`: the API's answer, else the referrers tag's index (carried itself too). */
async function referrers(client: RegistryClient, repo: string, digest: string, where: string, signal?: AbortSignal): Promise<{ descriptors: { digest: string; mediaType: string; artifactType?: string }[]; tagIndex?: FetchedManifest }> {
  const api = await client.getReferrers(repo, digest, { signal });
  let bytes = api;
  let tagIndex: FetchedManifest | undefined;
  if (!bytes) {
    tagIndex = await manifestOrNone(client, repo, referrersTag(digest), signal);
    if (!tagIndex || !isIndexMediaType(tagIndex.mediaType)) return { descriptors: [] };
    bytes = tagIndex.bytes;
  }
  const idx = parseIndex(bytes, `${where}: referrers of ${digest}`);
  const descriptors = (idx.manifests as { digest: string; mediaType: string; artifactType?: unknown }[]).slice(0, MAX_REFERRERS).map((d) => ({
    digest: d.digest,
    mediaType: d.mediaType,
    ...(typeof d.artifactType === 'string' ? { artifactType: d.artifactType } : {}),
  }));
  return { descriptors, ...(tagIndex ? { tagIndex } : {}) };
}

/** Every signature/attestation artifact of the image `digest` in `repo`, with its blobs. */
export async function discoverSignatures(client: RegistryClient, repo: string, digest: string, signal?: AbortSignal): Promise<Discovered> {
  const where = `${client.registry}/${repo}`;
  const out: LockSignatureArtifact[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  let total = 0;
  const carry = async (m: FetchedManifest, extra: { tag?: string; artifactType?: string }): Promise<void> => {
    if (seen.has(m.digest)) return;
    seen.add(m.digest);
    const parsed = isIndexMediaType(m.mediaType) ? { layers: [] } : manifestLayers(m.bytes);
    if (!parsed) return void skipped.push(`${m.digest}: not a JSON manifest`);
    const descs = 'config' in parsed && parsed.config ? [parsed.config, ...parsed.layers] : parsed.layers;
    const blobs: LockSignatureArtifact['blobs'] = [];
    for (const d of descs) {
      if (d.size > MAX_SIGNATURE_BLOB || total + d.size > MAX_SIGNATURE_BYTES) return void skipped.push(`${m.digest}: blob ${d.digest} (${d.size} bytes) is over the ${MAX_SIGNATURE_BLOB}-byte bound for carried signatures`);
      if (blobs.some((b) => b.digest === d.digest)) continue;
      const data = await client.getBlob(repo, { mediaType: d.mediaType, digest: d.digest, size: d.size }, MAX_SIGNATURE_BLOB, { signal });
      total += d.size;
      blobs.push({ mediaType: d.mediaType, digest: d.digest, size: d.size, data: data.toString('base64') });
    }
    const artifactType = extra.artifactType ?? ('artifactType' in parsed ? parsed.artifactType : undefined);
    out.push({ digest: m.digest, mediaType: m.mediaType, ...(extra.tag ? { tag: extra.tag } : {}), ...(artifactType ? { artifactType } : {}), manifest: m.bytes.toString('base64'), blobs });
  };

  const sigTag = cosignSignatureTag(digest);
  const sig = await manifestOrNone(client, repo, sigTag, signal);
  if (sig) await carry(sig, { tag: sigTag });
  const refs = await referrers(client, repo, digest, where, signal);
  for (const d of refs.descriptors) {
    const m = await manifestOrNone(client, repo, d.digest, signal);
    if (!m) {
      skipped.push(`${d.digest}: listed as a referrer but not in the registry`);
      continue;
    }
    await carry(m, d.artifactType ? { artifactType: d.artifactType } : {});
  }
  // The referrers tag's index goes last: pushing it needs the manifests it lists.
  if (refs.tagIndex) await carry(refs.tagIndex, { tag: referrersTag(digest) });
  return { artifacts: out, skipped };
}
