import { z } from 'zod';
import { FerryError } from '../../shared/errors';
import { OCI_INDEX, OCI_MANIFEST, baseMediaType, isImageManifestMediaType, isIndexMediaType } from './media-types';
import { DIGEST_RE } from './reference';

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: PlatformSpec;
}

const MAX_ENTRIES = 10_000;
const shortString = z.string().min(1).max(255);

export const platformSchema = z.looseObject({
  os: shortString,
  architecture: shortString,
  variant: shortString.optional(),
});

export const descriptorSchema = z.looseObject({
  mediaType: shortString,
  digest: z.string().regex(DIGEST_RE, 'must be sha256:<64 lowercase hex>'),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  annotations: z.record(z.string().max(4096), z.string().max(65_536)).optional(),
  platform: platformSchema.optional(),
});

export const indexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: shortString.optional(),
  manifests: z.array(descriptorSchema).max(MAX_ENTRIES),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const imageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: shortString.optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema).max(MAX_ENTRIES),
});

export type ImageIndex = z.infer<typeof indexSchema>;
export type ImageManifest = z.infer<typeof imageManifestSchema>;

/** Keeps only the fields of a descriptor that Ferry carries (drops unknown keys). */
export function toDescriptor(d: z.infer<typeof descriptorSchema>): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.annotations) out.annotations = { ...d.annotations };
  if (d.platform) {
    out.platform = { os: d.platform.os, architecture: d.platform.architecture };
    if (d.platform.variant !== undefined) out.platform.variant = d.platform.variant;
  }
  return out;
}

function parseJson<T>(bytes: Buffer, schema: z.ZodType<T>, what: string, where: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new FerryError(`${where}: the ${what} is not valid JSON`, 'The source is corrupt or not an image registry.');
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue ? issue.path.join('.') : '';
    throw new FerryError(`${where}: the ${what} is malformed${path ? ` at "${path}"` : ''}: ${issue?.message ?? 'invalid'}`, 'The source is corrupt or not an OCI/Docker v2 image.');
  }
  return r.data;
}

export function parseIndex(bytes: Buffer, where: string): ImageIndex {
  return parseJson(bytes, indexSchema, 'image index', where);
}

export function parseImageManifest(bytes: Buffer, where: string): ImageManifest {
  return parseJson(bytes, imageManifestSchema, 'image manifest', where);
}

/** `mediaType` field of a manifest document, if it has one. */
export function embeddedMediaType(bytes: Buffer): string | undefined {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown; schemaVersion?: unknown };
    return typeof v.mediaType === 'string' ? v.mediaType : undefined;
  } catch {
    return undefined;
  }
}

/** Media type of a fetched manifest: Content-Type, else its own mediaType field, else its shape. */
export function detectManifestMediaType(contentType: string | string[] | undefined, bytes: Buffer, where: string): string {
  const fromHeader = baseMediaType(Array.isArray(contentType) ? contentType[0] : contentType);
  const embedded = embeddedMediaType(bytes);
  const known = (m?: string) => m !== undefined && (isIndexMediaType(m) || isImageManifestMediaType(m));
  if (known(embedded) && known(fromHeader) && embedded !== fromHeader) {
    throw new FerryError(`${where}: served as ${fromHeader} but declares ${embedded}`, 'The registry response is inconsistent; do not trust it.');
  }
  if (known(fromHeader)) return fromHeader;
  if (known(embedded)) return embedded!;
  if (fromHeader.includes('manifest.v1')) {
    throw new FerryError(`${where}: Docker schema 1 manifests are not supported`, 'Re-push the image with a current Docker or skopeo to get a schema 2 / OCI manifest.');
  }
  let shape: { manifests?: unknown; config?: unknown } = {};
  try {
    shape = JSON.parse(bytes.toString('utf8')) as typeof shape;
  } catch {
    /* handled below */
  }
  if (shape && Array.isArray(shape.manifests)) return OCI_INDEX;
  if (shape && shape.config) return OCI_MANIFEST;
  throw new FerryError(`${where}: unsupported manifest type "${fromHeader || 'none'}"`, 'Ferry handles OCI and Docker v2 images and indexes.');
}

