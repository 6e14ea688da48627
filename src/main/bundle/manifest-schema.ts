import { z } from 'zod';
import { ScanReportSchema } from '../scan/scan-schema';
import { IMAGE_TAG, IMAGE_TARGET, nameProblem } from './destinations';
import { isSafePath } from './safe-path';

export const BUNDLE_FORMAT = 'ferry.bundle.v1';
export const MANIFEST_FILE = 'manifest.json';
export const IMAGES_DIR = 'images';
export const MODELS_DIR = 'models';
/** Added after the manifest is written and checked by their own verifiers (approvals, overrides, custody log), not listed in it. */
export const RESERVED_DIRS = ['approvals', 'overrides', 'custody'] as const;
/** A manifest larger than this is refused before parsing. */
export const MAX_MANIFEST_BYTES = 64 << 20;

const sha256Hex = z.string().regex(/^[a-f0-9]{64}$/, 'must be 64 lowercase hex characters');
const digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must be sha256:<64 hex>');
const safePath = z.string().refine(isSafePath, 'must be a relative path without .., absolute parts or characters FAT/NTFS reject');
const size = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
// Names are data (docs/security.md): strict ASCII allow-lists, no "..", no absolute paths, no control characters.
const noTricks = (v: string): boolean => !/[^\x21-\x7e]/.test(v) && !v.split('/').some((p) => p === '' || p === '.' || p === '..') && !v.includes('..');
const refName = z.string().min(1).max(512).refine(noTricks, 'must be an image reference (ASCII, no "..", no empty or absolute parts)');
const registryHost = z.string().min(1).max(255).regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/, 'must be HOST[:PORT]');
const repositoryPath = z.string().min(1).max(255).regex(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/, 'must be lowercase repository path components');
const oneName = z.string().min(1).max(255).superRefine((v, ctx) => {
  const p = nameProblem(v);
  if (p) ctx.addIssue({ code: 'custom', message: p });
});
const orgName = z.string().min(1).max(255).superRefine((v, ctx) => {
  const p = nameProblem(v, true);
  if (p) ctx.addIssue({ code: 'custom', message: p });
});

export const BundleFileSchema = z.strictObject({ path: safePath, size, sha256: sha256Hex });

/** A media type as sent in a Content-Type header on push: printable ASCII only. */
const printableType = z.string().min(1).max(255).regex(/^[\x21-\x7e][\x20-\x7e]*$/, 'must be a media type (printable ASCII)');

export const ImageSignaturesSchema = z.strictObject({
  policy: z.string().min(1).max(1024),
  verdict: z.enum(['verified', 'not-required']),
  /** Absent when no signature was required. */
  kind: z.enum(['cosign-key', 'sigstore-bundle']).optional(),
  keyFingerprint: sha256Hex.optional(),
  identity: z.string().max(1024).optional(),
  signer: z.string().max(1024).optional(),
  artifacts: z
    .array(z.strictObject({ digest, mediaType: printableType, tag: z.string().regex(/^sha256-[a-f0-9]{64}(?:\.sig)?$/).optional(), artifactType: printableType.optional() }))
    .max(100),
});

export const ImageArtifactSchema = z.strictObject({
  kind: z.literal('image'),
  /** Name in the OCI layout (org.opencontainers.image.ref.name). */
  name: refName,
  source: z.string().min(1).max(1024),
  registry: registryHost,
  repository: repositoryPath,
  tag: z.string().max(128).regex(IMAGE_TAG, 'must be a tag (letters, digits, ".", "_", "-")').optional(),
  /** Repository name for the internal registry (a recipe's target), e.g. ai-gateway. */
  target: z.string().max(128).regex(IMAGE_TARGET, 'must be a lowercase repository name').optional(),
  digest,
  indexDigest: digest.optional(),
  mediaType: z.string().max(255),
  platform: z.string().max(64),
  size,
  config: digest,
  layers: z.array(digest).max(1000),
  /** Signature policy verdict, and the signature/attestation manifests carried in images/ (docs/supply-chain.md). */
  signatures: ImageSignaturesSchema.optional(),
});

export const ModelFileSchema = z.strictObject({ path: safePath, size, sha256: sha256Hex });

export const ModelArtifactSchema = z.strictObject({
  kind: z.literal('model'),
  name: orgName,
  source: z.string().min(1).max(2048),
  hubUrl: z.string().max(1024),
  repo: z.string().regex(/^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/, 'must be ORG/NAME'),
  requestedRevision: z.string().max(255),
  revision: z.string().max(255),
  dir: safePath,
  size,
  files: z.array(ModelFileSchema).max(100_000),
  /** Findings, licence, parameters and GPU estimate from scanning the model's files. */
  scan: ScanReportSchema.optional(),
});

/** An Ollama model as Ollama stores it: `<dir>/manifests/<registry>/<repository>/<tag>` and `<dir>/blobs/sha256-<hex>`. */
export const OllamaArtifactSchema = z.strictObject({
  kind: z.literal('ollama'),
  name: z.string().min(1).max(255).refine(noTricks, 'must be an Ollama model name (ASCII, no "..")'),
  source: z.string().min(1).max(2048),
  registry: registryHost,
  repository: repositoryPath,
  tag: z.string().min(1).max(128).regex(IMAGE_TAG, 'must be a tag (letters, digits, ".", "_", "-")'),
  digest,
  dir: safePath,
  size,
  files: z.array(ModelFileSchema).max(10_000),
});

/** Local files or a folder, carried as they are under `dir`. */
export const FilesArtifactSchema = z.strictObject({
  kind: z.literal('files'),
  name: oneName,
  source: z.string().min(1).max(4096),
  dir: safePath,
  size,
  files: z.array(ModelFileSchema).max(100_000),
});

export const ArtifactSchema = z.discriminatedUnion('kind', [ImageArtifactSchema, ModelArtifactSchema]);
/** Ollama models and local files; kept out of `artifacts` so readers that know images and models only keep working. */
export const ExtraArtifactSchema = z.discriminatedUnion('kind', [OllamaArtifactSchema, FilesArtifactSchema]);

/** A delta bundle: what was left out because the offline side's signed inventory lists it (see docs/delta-bundles.md). */
export const DeltaSchema = z.strictObject({
  /** sha256 (hex) of the inventory file the delta was made against. */
  inventorySha256: sha256Hex,
  station: z.string().max(255),
  signer: z.strictObject({ name: z.string().max(128), fingerprint: sha256Hex }),
  /** Image config and layer blobs not carried: the target registry must already hold them. */
  omitted: z.array(z.strictObject({ digest, size, repository: z.string().max(255).optional() })).max(100_000),
  /** Model files not carried: the models directory must already hold them with this sha256. */
  omittedModelFiles: z.array(z.strictObject({ repo: z.string().max(255), path: z.string().min(1).max(4096), size, sha256: sha256Hex })).max(1_000_000),
  /** Bytes of the files carried, and of the full bundle had nothing been left out. */
  bytes: size,
  fullBytes: size,
});

export const BundleManifestSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  bundleId: z.uuid(),
  createdAt: z.string().max(64),
  createdBy: z.strictObject({
    actor: z.string().max(255),
    station: z.string().max(255),
    /** sha256 (hex) of the creator identity's Ed25519 public key, when one acted. */
    creatorFingerprint: sha256Hex.optional(),
    /** The creator identity's role and raw Ed25519 public key (base64, 32 bytes). */
    role: z.string().max(32).optional(),
    publicKey: z.string().max(64).optional(),
    /** The OS user and host that ran Ferry: context only, never who acted. */
    context: z.strictObject({ osUser: z.string().max(255), host: z.string().max(255) }).optional(),
    /** Ed25519 by the creator over the canonical manifest without this field (bundle/creation.ts). */
    signature: z.string().max(128).optional(),
  }),
  tool: z.strictObject({ name: z.literal('ferry'), version: z.string().max(64) }),
  artifacts: z.array(ArtifactSchema).max(10_000),
  files: z.array(BundleFileSchema).max(1_000_000),
  extraArtifacts: z.array(ExtraArtifactSchema).max(10_000).optional(),
  /** The recipe lock the bundle was acquired from, carried as `lock.json`. */
  lock: z.strictObject({ path: safePath, sha256: sha256Hex, recipe: z.string().max(64), version: z.string().max(32) }).optional(),
  /** Set once the bundle was scanned; blocked = some artifact has a dangerous finding. */
  scan: z.strictObject({ scannedAt: z.string().max(64), blocked: z.boolean() }).optional(),
  delta: DeltaSchema.optional(),
  /** The CycloneDX bill of materials (src/main/bom), written before the manifest and also listed in `files`. */
  bom: z.strictObject({ path: z.literal('bom.cdx.json'), sha256: sha256Hex, format: z.literal('CycloneDX'), specVersion: z.literal('1.6') }).optional(),
});

export type BundleManifest = z.infer<typeof BundleManifestSchema>;
export type BundleFile = z.infer<typeof BundleFileSchema>;
export type BundleDelta = z.infer<typeof DeltaSchema>;
export type ImageArtifact = z.infer<typeof ImageArtifactSchema>;
export type ImageSignatures = z.infer<typeof ImageSignaturesSchema>;
export type ModelArtifact = z.infer<typeof ModelArtifactSchema>;
export type OllamaArtifact = z.infer<typeof OllamaArtifactSchema>;
export type FilesArtifact = z.infer<typeof FilesArtifactSchema>;
export type ExtraArtifact = z.infer<typeof ExtraArtifactSchema>;
