import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { CanceledError } from '../../shared/errors';

/** Random-access, bounded reads of one file. Scanners never read a whole file unless they need it. */
export interface ReadableFile {
  readonly size: number;
  /** Reads up to `length` bytes at `position`; shorter only at the end of the file. */
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export type FileOpener = (path: string) => Promise<ReadableFile>;

export const CHUNK_BYTES = 1 << 20;

/** Opens without following a symlink at the last path component (O_NOFOLLOW). */
export const openFile: FileOpener = async (path) => {
  const fh = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    const st = await fh.stat();
    return {
      size: st.size,
      async read(position, length) {
        const n = Math.max(0, Math.min(length, st.size - position));
        const buf = Buffer.alloc(n);
        let done = 0;
        while (done < n) {
          const { bytesRead } = await fh.read(buf, done, n - done, position + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return done === n ? buf : buf.subarray(0, done);
      },
      close: () => fh.close(),
    };
  } catch (err) {
    await fh.close();
    throw err;
  }
};

/** Reads [start, end) in chunks, checking the abort signal between reads. */
export async function* readRange(file: ReadableFile, start: number, end: number, signal?: AbortSignal, chunk = CHUNK_BYTES): AsyncGenerator<Buffer> {
  for (let pos = start; pos < end; ) {
    throwIfAborted(signal);
    const b = await file.read(pos, Math.min(chunk, end - pos));
    if (b.length === 0) return;
    pos += b.length;
    yield b;
  }
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CanceledError('Scan canceled');
}

/**
 * Serves reads that fall inside the largest read so far from memory. Wrapped around a zip, whose
 * directory is found by reading the last 64 KiB, it keeps a small archive from being read twice.
 */
export function withReadCache(file: ReadableFile): ReadableFile {
  let at = 0;
  let cached: Buffer | undefined;
  return {
    size: file.size,
    async read(position, length) {
      const want = Math.max(0, Math.min(length, file.size - position));
      if (cached && position >= at && position + want <= at + cached.length) return cached.subarray(position - at, position - at + want);
      const b = await file.read(position, length);
      if (!cached || b.length >= cached.length) [at, cached] = [position, b];
      return b;
    },
    close: () => file.close(),
  };
}
