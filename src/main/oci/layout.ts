import { createHash } from 'node:crypto';
import { lstat, mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { MediaFileError, openMediaFile, readMediaFile } from '../io/media-file';
import { z } from 'zod';
import { writeVerified } from '../io/verified-write';
import { FerryError } from '../../shared/errors';
import { descriptorSchema, toDescriptor, type Descriptor } from '../registry/manifest-schema';
import { OCI_INDEX } from '../registry/media-types';
import { writeFileAtomic } from '../io/atomic-write';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
const LAYOUT_FILE = 'oci-layout';
const INDEX_FILE = 'index.json';
const MAX_LAYOUT_FILE = 4 * 1024;
const MAX_INDEX_FILE = 16 * 1024 * 1024;
const DIGEST = /^sha256:([a-f0-9]{64})$/;
/** OCI image-spec ref.name grammar: components joined by "/". */
const REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

const layoutSchema = z.looseObject({ imageLayoutVersion: z.literal('1.0.0') });
const indexFileSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(OCI_INDEX).optional(),
  manifests: z.array(descriptorSchema).max(100_000),
});

type IndexFile = { schemaVersion: 2; mediaType: string; manifests: Descriptor[] } & Record<string, unknown>;

function badLayout(dir: string, why: string): FerryError {
  return new FerryError(`${dir} is not a valid OCI image layout: ${why}`, 'The directory is damaged or not an image layout; verify the bundle.');
}

async function readSmall(path: string, max: number, dir: string): Promise<Buffer> {
  // The one media reader (docs/security.md): regular file, no links, bounded.
  return readMediaFile(dir, relative(dir, path), 'oci-json', { maxBytes: max }).catch((err: MediaFileError) => {
    throw badLayout(dir, err.code === 'EFBIG' ? `${path} is larger than ${max} bytes` : err.message);
  });
}

/** A standard OCI image layout directory (oci-layout, index.json, blobs/sha256/<hex>). */
export class OciLayout {
  private indexLock: Promise<unknown> = Promise.resolve();
  private readonly inflight = new Map<string, Promise<void>>();

  private constructor(readonly dir: string) {}

  /** Opens `dir`, initialising an empty layout if it has none. */
  static async create(dir: string): Promise<OciLayout> {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    const hasLayout = await lstat(join(dir, LAYOUT_FILE)).then(() => true, () => false);
    if (!hasLayout) await writeFileAtomic(join(dir, LAYOUT_FILE), Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    const hasIndex = await lstat(join(dir, INDEX_FILE)).then(() => true, () => false);
    if (!hasIndex) await writeFileAtomic(join(dir, INDEX_FILE), Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] })));
    return OciLayout.open(dir);
  }

  /** Opens an existing layout, treating its content as hostile (bounded reads, schema checks). */
  static async open(dir: string): Promise<OciLayout> {
    const layout = new OciLayout(dir);
    const raw = await readSmall(join(dir, LAYOUT_FILE), MAX_LAYOUT_FILE, dir);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw badLayout(dir, 'oci-layout is not JSON');
    }
    if (!layoutSchema.safeParse(parsed).success) throw badLayout(dir, 'oci-layout must declare imageLayoutVersion "1.0.0"');
    const blobs = await lstat(join(dir, 'blobs', 'sha256')).catch(() => undefined);
    if (!blobs?.isDirectory()) throw badLayout(dir, 'blobs/sha256 is missing');
    await layout.readIndex();
    return layout;
  }

  /** Path of a blob; the digest is validated strictly, so no path can escape the layout. */
  blobPath(digest: string): string {
    const m = DIGEST.exec(digest);
    if (!m) throw new FerryError(`Invalid blob digest "${digest}"`, 'Digests are sha256:<64 lowercase hex>.');
    return join(this.dir, 'blobs', 'sha256', m[1]!);
  }

  /** True if the blob file exists (a regular file) and, when `size` is given, has that size. Content is not re-hashed. */
  async hasBlob(digest: string, size?: number): Promise<boolean> {
    const st = await lstat(this.blobPath(digest)).catch(() => undefined);
    return !!st && st.isFile() && (size === undefined || st.size === size);
  }

  /** Stores small content (manifests, configs) by digest; a blob already present is not rewritten. */
  async putBlobBytes(bytes: Buffer, mediaType: string): Promise<Descriptor> {
    const hex = createHash('sha256').update(bytes).digest('hex');
    const desc: Descriptor = { mediaType, digest: `sha256:${hex}`, size: bytes.byteLength };
    await this.once(desc.digest, async () => {
      if (await this.hasBlob(desc.digest, desc.size)) return;
      await writeVerified((async function* () {
        yield bytes;
      })(), this.blobPath(desc.digest), { sha256: hex, size: bytes.byteLength });
    });
    return desc;
  }

  /** Writes to the same digest at once share one write (shared layers are stored once). */
  once(digest: string, write: () => Promise<void>): Promise<void> {
    const running = this.inflight.get(digest);
    if (running) return running;
    const p = write().finally(() => this.inflight.delete(digest));
    this.inflight.set(digest, p);
    return p;
  }

  /** Reads a blob, refusing more than `maxBytes`, and verifies its digest. */
  async readBlob(digest: string, maxBytes: number): Promise<Buffer> {
    const path = this.blobPath(digest);
    const f = await openMediaFile(this.dir, relative(this.dir, path)).catch((err: Error) => {
      throw new FerryError(`Blob ${digest} in ${this.dir}: ${err.message}`, 'The image layout is incomplete or holds unexpected content; verify the bundle.');
    });
    const st = { size: f.size };
    if (st.size > maxBytes) {
      await f.close();
      throw new FerryError(`Blob ${digest} in ${this.dir} is ${st.size} bytes, more than the ${maxBytes} allowed`, 'The layout holds unexpected content; verify the bundle.');
    }
    const fh = f.fh;
    let buf: Buffer;
    try {
      buf = Buffer.alloc(st.size);
      const { bytesRead } = await fh.read(buf, 0, st.size, 0);
      const extra = await fh.read(Buffer.alloc(1), 0, 1, st.size);
      if (bytesRead !== st.size || extra.bytesRead !== 0) throw new FerryError(`Blob ${digest} in ${this.dir} changed while being read`, 'Retry; something else is writing the layout.');
    } finally {
      await fh.close();
    }
    if (`sha256:${createHash('sha256').update(buf).digest('hex')}` !== digest) {
      throw new FerryError(`Blob ${digest} in ${this.dir} does not match its digest`, 'The layout is corrupt; verify the bundle.');
    }
    return buf;
  }

  /** Adds (or replaces) the image named `refName` in index.json, atomically. The blob must be present. */
  async addImage(refName: string, desc: Descriptor): Promise<void> {
    if (!REF_NAME.test(refName) || refName.length > 1024) {
      throw new FerryError(`Invalid image name "${refName}" for an OCI layout`, 'Use letters, digits and -._:@+ separated by "/", e.g. library/busybox:1.36');
    }
    if (!(await this.hasBlob(desc.digest, desc.size))) {
      throw new FerryError(`Cannot add ${refName}: manifest ${desc.digest} (${desc.size} bytes) is not in ${this.dir}`, 'Store the manifest blob before naming it.');
    }
    await this.withIndexLock(async () => {
      const index = await this.readIndex();
      const entry: Descriptor = { ...toDescriptor(descriptorSchema.parse(desc)), annotations: { ...desc.annotations, [REF_NAME_ANNOTATION]: refName } };
      index.manifests = [...index.manifests.filter((m) => m.annotations?.[REF_NAME_ANNOTATION] !== refName), entry];
      await writeFileAtomic(join(this.dir, INDEX_FILE), Buffer.from(`${JSON.stringify(index, null, 2)}\n`));
    });
  }

  /** Named images in index.json (entries without a ref name are skipped). */
  async images(): Promise<{ refName: string; descriptor: Descriptor }[]> {
    const index = await this.readIndex();
    return index.manifests.flatMap((d) => {
      const refName = d.annotations?.[REF_NAME_ANNOTATION];
      return refName ? [{ refName, descriptor: toDescriptor(d as z.infer<typeof descriptorSchema>) }] : [];
    });
  }

  private async readIndex(): Promise<IndexFile> {
    const raw = await readSmall(join(this.dir, INDEX_FILE), MAX_INDEX_FILE, this.dir);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw badLayout(this.dir, 'index.json is not JSON');
    }
    const r = indexFileSchema.safeParse(parsed);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw badLayout(this.dir, `index.json ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    // Entries keep fields Ferry does not know (urls, artifactType) so rewriting preserves them.
    return { ...r.data, mediaType: OCI_INDEX } as IndexFile;
  }

  private withIndexLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.indexLock.then(fn, fn);
    this.indexLock = run.catch(() => undefined);
    return run;
  }
}
