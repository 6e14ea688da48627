import { createReadStream } from 'node:fs';
import { lstat, open, readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { FerryError } from '../../shared/errors';

// Reading images out of `docker save` / OCI archives (tar, optionally gzip'd) and OCI layout
// folders. A scan keeps the names and sizes of every entry and the bytes of the small ones
// (manifests, configs, index.json); the big layer entries are only streamed later, in one pass.

const SMALL = 4 << 20;
const SMALL_BUDGET = 128 << 20;

export interface ArchiveScan {
  sizes: Map<string, number>;
  small: Map<string, Buffer>;
}

/** `./a/b` and `a//b` → `a/b`. */
export function entryName(name: string): string {
  return name.replace(/^(\.\/)+/, '').replace(/\/{2,}/g, '/').replace(/\/$/, '');
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    await fh.read(b, 0, 2, 0);
    return b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Streams the archive's regular-file entries, in order; the consumer must drain or skip each body. */
export async function* tarEntries(path: string, signal?: AbortSignal): AsyncIterable<{ name: string; size: number; body: AsyncIterable<Buffer> & { resume(): void } }> {
  const extract = tar.extract();
  const file = createReadStream(path, { highWaterMark: 1 << 20, signal });
  const source = (await isGzip(path)) ? file.pipe(createGunzip()) : file;
  source.on('error', (err: Error) => extract.destroy(err));
  source.pipe(extract);
  try {
    for await (const entry of extract) {
      if (entry.header.type !== 'file' && entry.header.type !== 'contiguous-file') {
        entry.resume();
        continue;
      }
      yield { name: entryName(entry.header.name), size: entry.header.size ?? 0, body: entry as never };
    }
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new FerryError(`Cannot read archive ${path}: ${(err as Error).message}`, 'Is it a tar file written by docker save or skopeo (oci-archive / docker-archive)?');
  } finally {
    file.destroy();
  }
}

/** One pass over an archive, keeping every entry's size and the bytes of entries up to 4 MiB. */
export async function scanArchive(path: string, signal?: AbortSignal): Promise<ArchiveScan> {
  const st = await lstat(path).catch(() => undefined);
  if (!st?.isFile()) throw new FerryError(`Archive ${path} does not exist or is not a file`);
  const scan: ArchiveScan = { sizes: new Map(), small: new Map() };
  let kept = 0;
  for await (const e of tarEntries(path, signal)) {
    scan.sizes.set(e.name, e.size);
    if (e.size <= SMALL && kept + e.size <= SMALL_BUDGET) {
      const chunks: Buffer[] = [];
      for await (const c of e.body) chunks.push(c);
      scan.small.set(e.name, Buffer.concat(chunks));
      kept += e.size;
    } else e.body.resume();
  }
  return scan;
}

/** The same view of an OCI layout folder; small files are read on demand. */
export async function scanFolder(dir: string): Promise<ArchiveScan> {
  const scan: ArchiveScan = { sizes: new Map(), small: new Map() };
  let kept = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const rel = relative(dir, p).split(sep).join('/');
        const size = (await lstat(p)).size;
        scan.sizes.set(rel, size);
        if (size <= SMALL && kept + size <= SMALL_BUDGET) {
          scan.small.set(rel, await readFile(p));
          kept += size;
        }
      }
    }
  };
  await walk(dir);
  return scan;
}

/** Bytes of a small entry, or a FerryError naming the archive and entry. */
export function smallEntry(scan: ArchiveScan, name: string, where: string): Buffer {
  const b = scan.small.get(entryName(name));
  if (!b) throw new FerryError(`${where}: ${name} is missing${scan.sizes.has(entryName(name)) ? ' or too large' : ''}`, 'The archive is incomplete or not an image archive.');
  return b;
}
