import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { openMediaFile } from '../io/media-file';
import { verifiedChunks } from '../deliver/verifying-stream';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { z } from 'zod';
import { FerryError } from '../../shared/errors';

/**
 * Builds a `docker load`-compatible tar (docker-archive: manifest.json + blobs) from images
 * in an OCI image layout, streaming blobs from disk. Docker 20.10 cannot load a bare OCI
 * layout, but it loads this. Blob paths inside the tar mirror the layout
 * (`blobs/sha256/<hex>`); each blob is written once however many images share it.
 *
 * Integrity: manifests are hashed here; every blob is read once and proven against its digest
 * as it streams, its last chunk held back until it matched (deliver/verifying-stream.ts), so a
 * changed blob fails the archive before its tar entry completes and before manifest.json (the
 * last entry, which the engine needs to make any image) is written. The engine checks again
 * (image ID = sha256 of the config, each layer's uncompressed sha256 against `rootfs.diff_ids`).
 */

export interface ArchiveImage {
  manifestDigest: string;
  /** Tags for manifest.json's RepoTags; may be empty (the loader tags afterwards). */
  repoTags: string[];
}

export interface PlannedBlob {
  digest: string;
  /** Path inside the tar: `blobs/sha256/<hex>`. */
  name: string;
  path: string;
  size: number;
}

export interface PlannedImage {
  manifestDigest: string;
  configDigest: string;
  layers: string[];
  repoTags: string[];
}

export interface ArchivePlan {
  layoutDir: string;
  /** Prepended to `blobs/sha256/<hex>` to name a blob in errors (`images/` for a bundle). */
  labelPrefix: string;
  images: PlannedImage[];
  /** Unique blobs in tar order (configs and layers). */
  blobs: PlannedBlob[];
  /** Exact tar size in bytes. */
  totalBytes: number;
}

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const MANIFEST_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];
const INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];
const CONFIG_TYPES = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'];
const LAYER_TYPES = [
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
];
const MTIME = new Date(0);

const descriptor = z.object({
  mediaType: z.string().max(255),
  digest: z.string().max(100),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});
const manifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().max(255).optional(),
  config: descriptor,
  layers: z.array(descriptor).max(1000),
});

function layoutError(message: string): FerryError {
  return new FerryError(message, 'The OCI layout is incomplete or damaged; verify the bundle again before importing.');
}

export function assertDigest(digest: unknown, what: string): asserts digest is string {
  if (typeof digest !== 'string' || !DIGEST_RE.test(digest)) {
    throw layoutError(`${what}: invalid digest ${JSON.stringify(String(digest).slice(0, 80))} (expected sha256:<64 hex>)`);
  }
}

const blobName = (digest: string): string => `blobs/sha256/${digest.slice(7)}`;

async function statBlob(layoutDir: string, digest: string, expectedSize: number, what: string): Promise<PlannedBlob> {
  const name = blobName(digest);
  const path = join(layoutDir, name);
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : String((err as Error).message);
    throw layoutError(`${what} blob ${digest} is ${reason} (${path})`);
  }
  if (size !== expectedSize) throw layoutError(`${what} blob ${digest} has ${size} bytes, the manifest says ${expectedSize}`);
  return { digest, name, path, size };
}

async function readManifestFile(layoutDir: string, digest: string, path: string): Promise<Buffer> {
  try {
    const fh = (await openMediaFile(layoutDir, blobName(digest))).fh; // the one media reader: regular file, no links
    try {
      const { size } = await fh.stat();
      if (size > MAX_MANIFEST_BYTES) throw layoutError(`manifest ${digest} is ${size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
      const buf = Buffer.alloc(size);
      const { bytesRead } = await fh.read(buf, 0, size, 0);
      if (bytesRead !== size) throw layoutError(`manifest ${digest}: short read`);
      return buf;
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof FerryError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw layoutError(`manifest blob ${digest} is ${code === 'ENOENT' ? 'missing' : 'unreadable'} (${path})`);
  }
}

async function readManifest(layoutDir: string, digest: string, given?: Buffer): Promise<z.infer<typeof manifestSchema>> {
  assertDigest(digest, 'image manifest');
  if (given && given.length > MAX_MANIFEST_BYTES) throw layoutError(`manifest ${digest} is ${given.length} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
  const buf = given ?? (await readManifestFile(layoutDir, digest, join(layoutDir, blobName(digest))));
  const actual = `sha256:${createHash('sha256').update(buf).digest('hex')}`;
  if (actual !== digest) throw layoutError(`manifest blob ${digest} is corrupt (its sha256 is ${actual})`);
  let json: unknown;
  try {
    json = JSON.parse(buf.toString('utf8'));
  } catch {
    throw layoutError(`manifest ${digest} is not valid JSON`);
  }
  const mediaType = (json as { mediaType?: unknown } | null)?.mediaType;
  if (typeof mediaType === 'string' && INDEX_TYPES.includes(mediaType)) {
    throw layoutError(`${digest} is an image index, not an image manifest; pass the digest of one platform's manifest`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw layoutError(`manifest ${digest} is not a valid image manifest: ${parsed.error.issues[0]?.message ?? ''}`);
  const m = parsed.data;
  if (m.mediaType !== undefined && !MANIFEST_TYPES.includes(m.mediaType)) {
    throw layoutError(`manifest ${digest} has unsupported media type ${JSON.stringify(m.mediaType)}`);
  }
  return m;
}

export interface PlanOptions {
  /** Image manifests already read (and proven) by the caller, by digest: not read again. */
  manifests?: Map<string, Buffer>;
  /** See ArchivePlan.labelPrefix. */
  labelPrefix?: string;
}

/**
 * Reads and validates every manifest and checks that every referenced blob exists with
 * the advertised size, before a single byte goes to the engine. Errors name the blob.
 */
export async function planDockerArchive(layoutDir: string, images: ArchiveImage[], opts: PlanOptions = {}): Promise<ArchivePlan> {
  const planned: PlannedImage[] = [];
  const byManifest = new Map<string, PlannedImage>();
  const blobs = new Map<string, PlannedBlob>();
  for (const img of images) {
    const known = byManifest.get(img.manifestDigest);
    if (known) {
      for (const t of img.repoTags) if (!known.repoTags.includes(t)) known.repoTags.push(t);
      continue;
    }
    const m = await readManifest(layoutDir, img.manifestDigest, opts.manifests?.get(img.manifestDigest));
    const where = `image ${img.manifestDigest}`;
    assertDigest(m.config.digest, `${where} config`);
    if (!CONFIG_TYPES.includes(m.config.mediaType)) {
      throw layoutError(`${where}: config media type ${JSON.stringify(m.config.mediaType)} is not an image config`);
    }
    if (m.layers.length === 0) throw layoutError(`${where} has no layers`);
    const toAdd: PlannedBlob[] = [];
    const check = async (d: z.infer<typeof descriptor>, what: string): Promise<void> => {
      const existing = blobs.get(d.digest);
      if (existing) {
        if (existing.size !== d.size) throw layoutError(`${what} blob ${d.digest}: size ${d.size} disagrees with ${existing.size}`);
        return;
      }
      const b = await statBlob(layoutDir, d.digest, d.size, what);
      blobs.set(d.digest, b);
      toAdd.push(b);
    };
    await check(m.config, `${where} config`);
    for (const [i, l] of m.layers.entries()) {
      assertDigest(l.digest, `${where} layer ${i}`);
      if (!LAYER_TYPES.includes(l.mediaType)) {
        throw layoutError(`${where} layer ${l.digest} has media type ${JSON.stringify(l.mediaType)}, which docker load cannot import`);
      }
      await check(l, `${where} layer`);
    }
    const p: PlannedImage = {
      manifestDigest: img.manifestDigest,
      configDigest: m.config.digest,
      layers: m.layers.map((l) => l.digest),
      repoTags: [...img.repoTags],
    };
    byManifest.set(img.manifestDigest, p);
    planned.push(p);
  }
  const list = [...blobs.values()];
  const manifestBytes = Buffer.byteLength(manifestJson(planned));
  const entry = (n: number): number => 512 + Math.ceil(n / 512) * 512;
  const totalBytes = 2 * 512 + entry(manifestBytes) + list.reduce((s, b) => s + entry(b.size), 0) + 1024;
  return { layoutDir, labelPrefix: opts.labelPrefix ?? '', images: planned, blobs: list, totalBytes };
}

function manifestJson(images: PlannedImage[]): string {
  return JSON.stringify(
    images.map((i) => ({ Config: blobName(i.configDigest), RepoTags: i.repoTags, Layers: i.layers.map(blobName) })),
  );
}

/**
 * Streams the tar for a plan from `planDockerArchive`. Memory stays flat: blobs are piped from disk,
 * each proven against its digest as it passes (a mismatch errors the stream, naming the blob).
 */
export function streamDockerArchive(plan: ArchivePlan, signal?: AbortSignal): Readable {
  const pack = tar.pack();
  const feed = async (): Promise<void> => {
    const dir = { type: 'directory' as const, mode: 0o755, mtime: MTIME };
    pack.entry({ ...dir, name: 'blobs/' });
    pack.entry({ ...dir, name: 'blobs/sha256/' });
    for (const b of plan.blobs) {
      if (b.size === 0) {
        pack.entry({ name: b.name, mode: 0o644, mtime: MTIME }, Buffer.alloc(0));
        continue;
      }
      const entry = pack.entry({ name: b.name, size: b.size, mode: 0o644, mtime: MTIME });
      // The tar header promised b.size bytes of this digest: a file that changed since planning
      // fails the entry (and the archive) instead of reaching the engine whole.
      const label = `${plan.labelPrefix}${b.name}`;
      await pipeline(Readable.from(verifiedChunks(plan.layoutDir, b.name, { sha256: b.digest.slice(7), size: b.size }, { label, signal })), entry);
    }
    pack.entry({ name: 'manifest.json', mode: 0o644, mtime: MTIME }, manifestJson(plan.images));
    pack.finalize();
  };
  async function* chunks(): AsyncGenerator<Buffer> {
    const feeding = feed().catch((err: unknown) => {
      pack.destroy(err instanceof Error ? err : new Error(String(err)));
    });
    try {
      for await (const c of pack) yield c as Buffer;
    } finally {
      pack.destroy();
      await feeding;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/**
 * `planDockerArchive` + `streamDockerArchive` in one call. Layout problems (missing blob,
 * bad manifest) surface as an 'error' on the returned stream.
 */
export function createDockerArchive(layoutDir: string, images: ArchiveImage[]): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    const plan = await planDockerArchive(layoutDir, images);
    yield* streamDockerArchive(plan);
  }
  return Readable.from(chunks(), { objectMode: false });
}
