import { execFile } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CanceledError, FerryError } from '../../shared/errors';

const CHUNK = 8 << 20;
/** Bytes written between background write-backs (datasync while the copy goes on), so the final fsync has little left. */
const SYNC_EVERY = 64 << 20;

export interface CopyOptions {
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  /** Also fed every byte copied (the whole-file hash of a file written in parts). */
  alsoHash?: Hash;
  /**
   * False: the copy's own sha256 is not computed (copyRange returns undefined), for a whole file
   * whose read-back proves the medium's bytes against the manifest's sha256 anyway.
   */
  hash?: boolean;
}

/** The medium is full (or the file too large for it): the caller continues on the next volume. */
export function isMediumFull(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ENOSPC' || code === 'EFBIG' || code === 'EDQUOT';
}

/**
 * Copies `size` bytes at `offset` of `src` into `dest`, hashing them in the same pass: one
 * read of the source, one write (the next read overlaps the current write), in 8 MiB blocks.
 * Written-back as it goes (a datasync every 64 MiB in the background, so the disk works while
 * the copy goes on). Lands in `dest.tmp`, is fsynced, then renamed; on any failure the temp file
 * is removed.
 * `srcSize` is what the source must measure (the manifest's size). Returns the sha256 (undefined
 * when `opts.hash` is false).
 */
export async function copyRange(src: string, srcSize: number, offset: number, size: number, dest: string, opts: CopyOptions & { hash: false }): Promise<undefined>;
export async function copyRange(src: string, srcSize: number, offset: number, size: number, dest: string, opts?: CopyOptions & { hash?: true }): Promise<string>;
export async function copyRange(src: string, srcSize: number, offset: number, size: number, dest: string, opts?: CopyOptions): Promise<string | undefined>;
export async function copyRange(src: string, srcSize: number, offset: number, size: number, dest: string, opts: CopyOptions = {}): Promise<string | undefined> {
  const tmp = `${dest}.tmp`;
  await mkdir(dirname(dest), { recursive: true });
  const input = await open(src, 'r');
  let output: Awaited<ReturnType<typeof open>> | undefined;
  let ok = false;
  let syncing: Promise<unknown> | undefined;
  try {
    const st = await input.stat();
    if (!st.isFile()) throw new FerryError(`${src} is not a regular file.`);
    if (st.size !== srcSize) throw new FerryError(`${src} is ${st.size} bytes but the manifest says ${srcSize}.`, 'The bundle changed after it was created; verify it with "ferry verify".');
    output = await open(tmp, 'w');
    const hash = opts.hash === false ? undefined : createHash('sha256');
    const bufs = [Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1))), Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1)))];
    let done = 0;
    let cur = 0;
    let synced = 0;
    const readAt = (i: number): Promise<number> =>
      input.read(bufs[i]!, 0, Math.min(bufs[i]!.length, size - done), offset + done).then((r) => r.bytesRead);
    let pending: Promise<number> | null = size > 0 ? readAt(cur) : null;
    while (pending) {
      const n = await pending;
      if (n === 0) throw new FerryError(`${src} ended early at byte ${offset + done}.`);
      const chunk = bufs[cur]!.subarray(0, n);
      done += n;
      cur ^= 1;
      pending = done < size ? readAt(cur) : null;
      hash?.update(chunk);
      opts.alsoHash?.update(chunk);
      for (let off = 0; off < n; ) off += (await output.write(chunk, off, n - off)).bytesWritten;
      if (done - synced >= SYNC_EVERY && !syncing) {
        synced = done;
        const out = output;
        syncing = out.datasync().catch(() => undefined).finally(() => (syncing = undefined));
      }
      opts.onBytes?.(n);
      if (opts.signal?.aborted) {
        await pending?.catch(() => 0);
        throw new CanceledError();
      }
    }
    await syncing;
    await output.sync();
    await output.close();
    ok = true;
    await rename(tmp, dest);
    return hash?.digest('hex');
  } finally {
    await input.close();
    await syncing;
    if (!ok) {
      await output?.close().catch(() => undefined);
      await rm(tmp, { force: true });
    }
  }
}

export { fsyncDir } from '../io/atomic-write';

/**
 * Asks the kernel to drop a (fsynced, hence clean) file from the page cache, so reading it
 * back reads the medium rather than memory. Node has no posix_fadvise; GNU dd's
 * `iflag=nocache count=0` calls posix_fadvise(POSIX_FADV_DONTNEED) on the whole file.
 * Best effort: returns false when it could not (the read-back then may be served from cache).
 */
export function dropCache(file: string): Promise<boolean> {
  return new Promise((res) => execFile('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none'], (err) => res(!err)));
}

/** sha256 of a file on this thread, for when no hash pool is given. */
export async function hashFileInline(path: string, opts: { signal?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<{ sha256: string; size: number }> {
  const fh = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK);
    let size = 0;
    for (;;) {
      if (opts.signal?.aborted) throw new CanceledError();
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      size += bytesRead;
      opts.onBytes?.(bytesRead);
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await fh.close();
  }
}
