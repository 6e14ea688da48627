import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-write';
import { join } from 'node:path';
import { z } from 'zod';
import { FerryError } from '../../shared/errors';
import { MediaFileError, printable, readMediaJson, type MediaReadOptions } from '../io/media-file';
import { canonicalJson } from '../bundle/canonical-json';
import { RESERVED_DIRS } from '../bundle/manifest-schema';
import { isSafePath } from '../bundle/safe-path';
import { KIT_DIR, KIT_PLATFORMS } from '../kit/kit-schema';
import { FS_NAMES } from './fs-rules';

export const LABEL_FILE = 'FERRY-VOLUME.json';

/** True when `dir` is a Ferry volume (holds a volume label) rather than a bundle directory. */
export function isVolumeDir(dir: string): boolean {
  return existsSync(join(dir, LABEL_FILE));
}
export const LABEL_FORMAT = 'ferry.volume.v1';
/** A label larger than this is refused before it is read. */
export const MAX_LABEL_BYTES = 64 << 20;
export const MAX_PARTS = 99_999;
/** Each approvals/ or custody/ file carried on every volume must be at most this large. */
export const MAX_SIDECAR_BYTES = 16 << 20;
export const MAX_SIDECARS = 10_000;

/** The on-volume name of part `index` (1-based) of a split file: `<path>.part0001`. */
export function partFile(path: string, index: number): string {
  return `${path}.part${String(index).padStart(4, '0')}`;
}

const sha256Hex = z.string().regex(/^[a-f0-9]{64}$/, 'must be 64 lowercase hex characters');
const size = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const safePath = z.string().refine(isSafePath, 'must be a relative path without .., absolute parts or characters FAT/NTFS reject');

export const LabelFileSchema = z
  .strictObject({
    /** The file's path in the bundle (manifest.files[].path). */
    path: safePath,
    /** Bytes of this entry: the whole file, or this part. */
    size,
    /** sha256 of this entry's bytes on the volume (for a part: of the part alone). */
    sha256: sha256Hex,
    part: z.strictObject({ index: z.number().int().min(1).max(MAX_PARTS), offset: size, fileSize: size }).optional(),
  })
  .refine((f) => !f.part || f.part.offset + f.size <= f.part.fileSize, 'part runs past the end of its file')
  .refine((f) => !f.part || isSafePath(partFile(f.path, f.part.index)), 'part name is not a safe path');

/** A safe path inside one of the bundle's reserved folders (approvals/, custody/). */
export function isSidecarPath(p: string): boolean {
  return isSafePath(p) && RESERVED_DIRS.some((d) => p.startsWith(`${d}/`));
}

/**
 * A file outside the manifest (signed approvals, the exported custody log) that every
 * volume carries whole at `path`; checked against its label here, and by its own verifier.
 */
export const SidecarSchema = z.strictObject({
  path: z.string().refine(isSidecarPath, `must be a safe path inside ${RESERVED_DIRS.join('/ or ')}/`),
  size: size.max(MAX_SIDECAR_BYTES),
  sha256: sha256Hex,
});

/** A safe path inside the kit's folder on the volume (`ferry/…`). */
export function isKitPath(p: string): boolean {
  return isSafePath(p) && p.startsWith(`${KIT_DIR}/`);
}

/** The offline kit a volume carries under `ferry/` (volume 1 only): kit.json's digest and what the reviewer sees of it. */
export const LabelKitSchema = z.strictObject({
  dir: z.literal(KIT_DIR),
  version: z.string().max(64),
  commit: z.string().max(64),
  platform: z.enum(KIT_PLATFORMS),
  nodeVersion: z.string().max(32),
  /** sha256 of ferry/kit.json's bytes: the kit's digest. */
  sha256: sha256Hex,
  files: z.number().int().nonnegative().max(10_000),
  bytes: size,
});

/** One file of the kit on the volume, kit.json included: `ferry/<path in the kit>`. */
export const KitEntrySchema = z.strictObject({
  path: z.string().refine(isKitPath, `must be a safe path inside ${KIT_DIR}/`),
  size,
  sha256: sha256Hex,
});

export const VolumeLabelSchema = z.strictObject({
  format: z.literal(LABEL_FORMAT),
  bundleId: z.uuid(),
  manifestSha256: sha256Hex,
  volumeId: z.uuid(),
  /** `count` is what was planned when this volume was written; on the volume with `last` it is final. */
  volume: z
    .strictObject({ index: z.number().int().min(1).max(10_000), count: z.number().int().min(1).max(10_000), last: z.boolean() })
    .refine((v) => v.index <= v.count, 'index is larger than count')
    .refine((v) => !v.last || v.index === v.count, 'the last volume must have index = count'),
  fs: z.enum(FS_NAMES),
  mediaSerial: z.string().max(255).optional(),
  writtenAt: z.string().max(64),
  state: z.enum(['complete', 'incomplete']),
  /** Why a volume is incomplete (e.g. the medium filled up). */
  note: z.string().max(4096).optional(),
  files: z.array(LabelFileSchema).max(1_000_000),
  /** Absent on volumes of a bundle without approvals/ or custody/ (and on labels of earlier versions). */
  sidecars: z
    .array(SidecarSchema)
    .max(MAX_SIDECARS)
    .refine((l) => new Set(l.map((x) => x.path)).size === l.length, 'lists a path twice')
    .optional(),
  /** The offline kit under ferry/ (volume 1 of a set written with the kit); `kitFiles` lists its files, kit.json first. */
  kit: LabelKitSchema.optional(),
  kitFiles: z
    .array(KitEntrySchema)
    .max(10_001)
    .refine((l) => new Set(l.map((x) => x.path)).size === l.length, 'lists a path twice')
    .optional(),
}).refine((l) => !l.kit === !l.kitFiles, { message: 'kit and kitFiles come together', path: ['kitFiles'] });

export type VolumeLabel = z.infer<typeof VolumeLabelSchema>;
export type LabelFile = z.infer<typeof LabelFileSchema>;
export type Sidecar = z.infer<typeof SidecarSchema>;
export type LabelKit = z.infer<typeof LabelKitSchema>;
export type KitEntry = z.infer<typeof KitEntrySchema>;

/** Where an entry's bytes live on its volume. */
export function labelFileName(f: Pick<LabelFile, 'path' | 'part'>): string {
  return f.part ? partFile(f.path, f.part.index) : f.path;
}

export class LabelError extends FerryError {
  constructor(message: string, hint?: string) {
    super(message, hint, 'LabelError');
  }
}

/** Writes the label as canonical JSON: `.tmp`, fsync, rename. Returns its sha256. */
export async function writeLabel(dir: string, label: VolumeLabel): Promise<string> {
  const bytes = Buffer.from(canonicalJson(VolumeLabelSchema.parse(label)));
  const file = join(dir, LABEL_FILE);
  await writeFileAtomic(file, bytes);
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads a label from media that may be hostile: through the one media reader (regular file, bounded, strict JSON), schema-validated. */
export async function readLabel(dir: string, opts: MediaReadOptions = {}): Promise<VolumeLabel> {
  let json: unknown;
  try {
    ({ value: json } = await readMediaJson(dir, LABEL_FILE, 'label', { maxBytes: MAX_LABEL_BYTES, label: join(dir, LABEL_FILE), ...opts }));
  } catch (err) {
    if (err instanceof MediaFileError && err.code === 'ENOENT') {
      throw new LabelError(`${dir} has no ${LABEL_FILE}`, 'Point Ferry at the top folder of a volume written by "ferry media write".');
    }
    if (err instanceof MediaFileError) throw new LabelError(err.message, err.hint);
    throw err;
  }
  const parsed = VolumeLabelSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LabelError(`${join(dir, LABEL_FILE)}: field ${printable(issue.path.join('.')) || '(root)'} ${printable(issue.message)}`, 'The label is damaged or was not written by Ferry.');
  }
  return parsed.data;
}
