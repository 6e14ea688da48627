import { z } from 'zod';
import { FerryError } from '../../shared/errors';
import { isSafePath } from '../bundle/safe-path';

// A lock pins everything a recipe (with its parameters) resolves to, before anything is fetched:
// images to a manifest digest for one platform, hub models to a commit with every file's size
// and checksum, Ollama models to a manifest digest, local files to their sha256. Acquisition
// follows the lock exactly; the bundle carries it as lock.json.

export const LOCK_FORMAT = 'ferry.lock.v1';
export const LOCK_FILE = 'lock.json';

const digest = z.string().regex(/^sha256:[a-f0-9]{64}$/);
const hex64 = z.string().regex(/^[a-f0-9]{64}$/);
const size = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);
const safePath = z.string().refine(isSafePath, 'must be a relative path without .., absolute parts or characters FAT/NTFS reject');

export const LockDescriptorSchema = z.strictObject({
  mediaType: z.string().min(1).max(255),
  digest,
  size,
  /** For local sources: where the blob is inside the archive or folder. */
  at: z.string().max(4096).optional(),
  /** The blob itself (base64), when resolution already read it (a single-platform image's config). */
  data: z.string().max(2 << 20).optional(),
});

/** A signature or attestation manifest found for an image, carried byte for byte (its blobs inline, base64). */
export const LockSignatureArtifactSchema = z.strictObject({
  digest,
  mediaType: z.string().min(1).max(255),
  /** sha256-<hex>.sig (cosign) or sha256-<hex> (referrers tag schema); absent for a referrer found by digest. */
  tag: z.string().regex(/^sha256-[a-f0-9]{64}(?:\.sig)?$/).optional(),
  artifactType: z.string().max(255).optional(),
  manifest: z.string().max(8 << 20),
  blobs: z.array(LockDescriptorSchema).max(100),
});

/** The signature policy's verdict for an image, with what a later offline check needs (key, identity, trusted root). */
export const LockSignaturesSchema = z.strictObject({
  policy: z.string().min(1).max(1024),
  verdict: z.enum(['verified', 'not-required']),
  kind: z.enum(['cosign-key', 'sigstore-bundle']).optional(),
  keyFingerprint: hex64.optional(),
  /** cosign-key: the public key PEM the policy required. */
  publicKey: z.string().max(16_384).optional(),
  /** sigstore: certificate identity and issuer, and the trusted root JSON. */
  identity: z.string().max(1024).optional(),
  issuer: z.string().max(1024).optional(),
  trustedRoot: z.string().max(4 << 20).optional(),
  /** sigstore: transparency requirements the rule set (default 1 Rekor entry, 1 SCT). */
  logs: z.strictObject({ tlogThreshold: z.number().int().min(0).max(8), ctlogThreshold: z.number().int().min(0).max(8) }).optional(),
  signer: z.string().max(1024).optional(),
  artifacts: z.array(LockSignatureArtifactSchema).max(100),
});

export const LockImageSchema = z.strictObject({
  id,
  source: z.string().min(1).max(4096),
  from: z.enum(['registry', 'oci', 'oci-archive', 'docker-archive', 'docker-daemon']),
  /** Local file (archive or layout folder) for non-registry sources. */
  path: z.string().max(4096).optional(),
  registry: z.string().min(1).max(255),
  repository: z.string().min(1).max(255),
  tag: z.string().max(128).optional(),
  target: z.string().max(128).optional(),
  digest,
  indexDigest: digest.optional(),
  mediaType: z.string().max(255),
  platform: z.string().max(64),
  /** The platform manifest's exact bytes, base64: acquisition writes these, so the digest cannot drift. */
  manifest: z.string().max(8 << 20),
  config: LockDescriptorSchema,
  layers: z.array(LockDescriptorSchema).max(1000),
  size,
  /** Signature policy verdict and the signatures found (absent when no policy applies). */
  signatures: LockSignaturesSchema.optional(),
});

export const LockModelFileSchema = z.strictObject({
  path: z.string().min(1).max(4096),
  size,
  /** LFS files: the sha256 the hub lists. Small git files have only a git blob id; their sha256 is computed while acquiring. */
  sha256: hex64.optional(),
  gitOid: z.string().regex(/^[a-f0-9]{40}$/).optional(),
});

export const LockModelSchema = z.strictObject({
  id,
  from: z.enum(['hub', 'hf-cache']),
  hubUrl: z.string().max(1024),
  /** The Hugging Face cache folder, for models resolved from it. */
  cacheDir: z.string().max(4096).optional(),
  repo: z.string().min(3).max(200),
  requestedRevision: z.string().max(255),
  revision: z.string().regex(/^[a-f0-9]{40}$/),
  include: z.array(z.string().max(255)).max(200).optional(),
  exclude: z.array(z.string().max(255)).max(200).optional(),
  files: z.array(LockModelFileSchema).max(100_000),
  size,
});

export const LockOllamaSchema = z.strictObject({
  id,
  model: z.string().min(1).max(255),
  from: z.enum(['registry', 'ollama-dir']),
  path: z.string().max(4096).optional(),
  registry: z.string().min(1).max(255),
  repository: z.string().min(1).max(255),
  tag: z.string().min(1).max(128),
  digest,
  mediaType: z.string().max(255),
  manifest: z.string().max(8 << 20),
  config: LockDescriptorSchema,
  layers: z.array(LockDescriptorSchema).max(1000),
  size,
});

export const LockFilesSchema = z.strictObject({
  id,
  source: z.string().min(1).max(4096),
  kind: z.enum(['file', 'folder']),
  /** Folder in the bundle: files/<id>. */
  dir: safePath,
  files: z.array(z.strictObject({ path: safePath, size, sha256: hex64 })).max(100_000),
  size,
});

/** An image built while acquiring: the base image (`from`, a lock image or derived id) plus one npm package layer. */
export const LockDerivedSchema = z.strictObject({
  id,
  from: id,
  /** The base image's source, for the manifest and reviewers. */
  baseSource: z.string().min(1).max(4096),
  target: z.string().min(1).max(128),
  /** The base image's resolved tag (the derived image gets the same one). */
  tag: z.string().max(128).optional(),
  npm: z.strictObject({
    package: z.string().min(1).max(214),
    version: z.string().min(1).max(255),
    registry: z.string().min(1).max(1024),
    tarball: z.string().min(1).max(4096),
    /** Subresource integrity of the tarball, e.g. sha512-<base64>. */
    integrity: z.string().regex(/^sha(?:1|256|384|512)-[A-Za-z0-9+/]+={0,2}$/),
    shasum: z.string().regex(/^[a-f0-9]{40}$/).optional(),
    size,
  }),
});

export const LockSchema = z.strictObject({
  format: z.literal(LOCK_FORMAT),
  recipe: z.strictObject({
    id: z.string().min(1).max(64),
    version: z.string().max(32),
    title: z.string().max(200),
    origin: z.enum(['builtin', 'user', 'adhoc']),
    sha256: hex64.optional(),
  }),
  params: z.record(z.string().max(64), z.union([z.string().max(1024), z.boolean()])),
  platform: z.string().max(64),
  resolvedAt: z.string().max(64),
  images: z.array(LockImageSchema).max(1000),
  models: z.array(LockModelSchema).max(100),
  ollama: z.array(LockOllamaSchema).max(100),
  files: z.array(LockFilesSchema).max(1000),
  /** Derived images (absent in older locks). */
  derived: z.array(LockDerivedSchema).max(100).default([]),
  /** Bytes to acquire, each shared blob counted once. */
  totalBytes: size,
});

export type Lock = z.infer<typeof LockSchema>;
export type LockImage = z.infer<typeof LockImageSchema>;
export type LockModel = z.infer<typeof LockModelSchema>;
export type LockModelFile = z.infer<typeof LockModelFileSchema>;
export type LockOllama = z.infer<typeof LockOllamaSchema>;
export type LockFiles = z.infer<typeof LockFilesSchema>;
export type LockDescriptor = z.infer<typeof LockDescriptorSchema>;
export type LockDerived = z.infer<typeof LockDerivedSchema>;
export type LockSignatures = z.infer<typeof LockSignaturesSchema>;
export type LockSignatureArtifact = z.infer<typeof LockSignatureArtifactSchema>;

/** Bytes to acquire: blobs shared between images (and Ollama models) counted once. */
export function lockTotal(l: Omit<Lock, 'totalBytes' | 'derived'> & { derived?: LockDerived[] }): number {
  const blobs = new Map<string, number>();
  for (const i of [...l.images, ...l.ollama]) {
    blobs.set(i.digest, Buffer.byteLength(i.manifest, 'base64'));
    for (const d of [i.config, ...i.layers]) blobs.set(d.digest, d.size);
  }
  let total = [...blobs.values()].reduce((s, n) => s + n, 0);
  for (const m of l.models) total += m.size;
  for (const f of l.files) total += f.size;
  for (const d of l.derived ?? []) total += d.npm.size;
  return total;
}

/** Validates untrusted lock JSON (a --lock file or a row from the store). */
export function parseLock(value: unknown, where: string): Lock {
  const r = LockSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new FerryError(`${where}: field ${issue.path.join('.') || '(root)'}: ${issue.message}`, 'The lock is damaged or from another Ferry version; resolve the recipe again.');
  }
  return r.data;
}
