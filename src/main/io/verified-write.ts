import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CanceledError, FerryError } from '../../shared/errors';

export interface TransferOptions {
  signal?: AbortSignal;
  /** Called with the number of new bytes after each chunk. */
  onBytes?: (n: number) => void;
}

export interface WriteOptions extends TransferOptions {
  /**
   * The source proves `expected.sha256` itself as it streams and fails rather than end with other
   * bytes (deliver/verifying-stream.ts): writeVerified does not hash a second time; size is still checked.
   */
  sourceProven?: boolean;
}

export interface Expected {
  /** Lowercase hex sha256 the content must have. */
  sha256?: string;
  /** Exact byte count; more bytes than this aborts the transfer early. */
  size?: number;
  /** Git blob sha1 (hub files not stored in LFS); checked when given. */
  gitSha1?: string;
}

export interface Written {
  sha256: string;
  size: number;
}

export class IntegrityError extends FerryError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message, 'The source sent different bytes than it advertised; retry, and if it persists treat the source as untrusted.', 'IntegrityError');
  }
}

/** Throws IntegrityError naming `dest` when a computed digest differs from the expected one. */
function checkDigests(dest: string, expected: Expected, sha256: string, gitSha1: string | undefined): void {
  if (expected.sha256 !== undefined && sha256 !== expected.sha256.toLowerCase()) {
    throw new IntegrityError(`${dest}: sha256 ${sha256} does not match the expected ${expected.sha256}`, dest);
  }
  if (gitSha1 !== undefined && expected.gitSha1 !== undefined && gitSha1 !== expected.gitSha1.toLowerCase()) {
    throw new IntegrityError(`${dest}: git blob id ${gitSha1} does not match the expected ${expected.gitSha1}`, dest);
  }
}

/**
 * Makes a verified temp file visible: fsyncs and closes it, then renames it over `dest`.
 * `closed` runs once the handle is closed, so the caller's cleanup neither closes it again nor
 * removes a file that is complete.
 */
async function publish(fh: FileHandle, tmp: string, dest: string, closed: () => void): Promise<void> {
  await fh.sync();
  await fh.close();
  closed();
  await rename(tmp, dest);
}

/**
 * Streams `source` into `dest`, hashing every byte once as it passes. The data lands in
 * `dest.tmp`, is fsynced, and is renamed over `dest` only when size and hashes match;
 * on any failure the temp file is removed and `dest` is untouched.
 */
export async function writeVerified(
  source: AsyncIterable<Uint8Array>,
  dest: string,
  expected: Expected,
  opts: WriteOptions = {},
): Promise<Written> {
  const tmp = `${dest}.tmp`;
  await mkdir(dirname(dest), { recursive: true });
  const proven = opts.sourceProven === true && expected.sha256 !== undefined;
  const sha = proven ? undefined : createHash('sha256');
  const git = expected.gitSha1 !== undefined && expected.size !== undefined ? createHash('sha1') : undefined;
  git?.update(`blob ${expected.size}\0`);
  let size = 0;
  const fh = await open(tmp, 'w');
  let ok = false;
  try {
    for await (const chunk of source) {
      if (opts.signal?.aborted) throw new CanceledError();
      size += chunk.byteLength;
      if (expected.size !== undefined && size > expected.size) {
        throw new IntegrityError(`${dest}: received more than the expected ${expected.size} bytes`, dest);
      }
      sha?.update(chunk);
      git?.update(chunk);
      let off = 0;
      while (off < chunk.byteLength) {
        const { bytesWritten } = await fh.write(chunk, off, chunk.byteLength - off);
        off += bytesWritten;
      }
      opts.onBytes?.(chunk.byteLength);
    }
    if (opts.signal?.aborted) throw new CanceledError();
    const sha256 = sha ? sha.digest('hex') : expected.sha256!.toLowerCase();
    if (expected.size !== undefined && size !== expected.size) {
      throw new IntegrityError(`${dest}: expected ${expected.size} bytes, received ${size}`, dest);
    }
    checkDigests(dest, expected, sha256, git && expected.gitSha1 !== undefined ? git.digest('hex') : undefined);
    await publish(fh, tmp, dest, () => (ok = true));
    return { sha256, size };
  } finally {
    if (!ok) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
    }
  }
}

/**
 * Whether `file` already holds exactly the expected content (a regular file of `size` bytes with
 * this sha256): what an interrupted run wrote and renamed into place is kept, not written again.
 * Reads only; a missing, resized or different file is false.
 */
export async function holdsVerified(file: string, expected: { sha256: string; size: number }, signal?: AbortSignal): Promise<boolean> {
  const st = await lstat(file).catch(() => undefined);
  if (!st?.isFile() || st.size !== expected.size) return false;
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, signal }) as AsyncIterable<Buffer>) h.update(chunk);
  return h.digest('hex') === expected.sha256.toLowerCase();
}

const WRITE_BATCH = 1 << 20;
const SYNC_EVERY = 64 << 20;

/** `bufs` without its first `n` bytes (after a short writev). */
function dropBytes(bufs: Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of bufs) {
    if (n >= b.byteLength) n -= b.byteLength;
    else {
      out.push(n > 0 ? b.subarray(n) : b);
      n = 0;
    }
  }
  return out;
}

/** The source ended early without an error; the partial is kept so a retry continues it. */
export class ShortTransferError extends FerryError {
  constructor(message: string) {
    super(message, 'The connection ended early; run the same command again to continue.', 'ShortTransferError');
  }
}

/** Where a (re)opened source starts: `start` is 0 when the server ignored the range asked for. */
export interface OpenedSource {
  body: AsyncIterable<Uint8Array>;
  start: number;
}

export interface ResumeOptions extends TransferOptions {
  /** Called once the source is open with the bytes of an earlier partial that are kept (0 if none). */
  onResumed?: (bytes: number) => void;
}

/**
 * Like writeVerified, but resumable: an interrupted transfer (cancel, crash, `kill -9`, a dropped
 * connection) leaves `dest.tmp` in place, and the next call continues it. The partial prefix is
 * re-hashed once from disk (hash state cannot be saved), then `openAt(offset)` supplies the rest
 * (HTTP Range). Content that fails the size or hash check removes the partial; `dest` appears only
 * when everything matches.
 */
export async function writeVerifiedResumable(
  openAt: (offset: number) => Promise<OpenedSource>,
  dest: string,
  expected: Expected,
  opts: ResumeOptions = {},
): Promise<Written> {
  const tmp = `${dest}.tmp`;
  await mkdir(dirname(dest), { recursive: true });
  const st = await lstat(tmp).catch(() => undefined);
  if (st && !st.isFile()) await rm(tmp, { recursive: true, force: true });
  let have = st?.isFile() ? st.size : 0;
  if (expected.size !== undefined && have > expected.size) have = 0;
  const newHashes = () => {
    const git = expected.gitSha1 !== undefined && expected.size !== undefined ? createHash('sha1').update(`blob ${expected.size}\0`) : undefined;
    return { sha: createHash('sha256'), git };
  };
  let h = newHashes();
  if (have > 0) {
    for await (const chunk of createReadStream(tmp, { start: 0, end: have - 1, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      if (opts.signal?.aborted) throw new CanceledError();
      h.sha.update(chunk);
      h.git?.update(chunk);
    }
  }
  const complete = expected.size !== undefined && have === expected.size;
  const src: OpenedSource = complete ? { body: (async function* () {})(), start: have } : await openAt(have);
  if (src.start !== have && src.start !== 0) throw new FerryError(`${dest}: the source resumed at byte ${src.start}, not ${have} or 0`);
  if (src.start === 0 && have > 0) {
    have = 0;
    h = newHashes();
  }
  opts.onResumed?.(have);
  const fh = await open(tmp, have > 0 ? 'r+' : 'w');
  let size = have;
  let bad = false;
  let ok = false;
  // Chunks are written in batches (one writev per MiB): fewer syscalls, and what is on disk is
  // always a prefix of what was hashed, so a crash leaves a resumable partial.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let written = have;
  const flush = async (): Promise<void> => {
    let bufs = pending;
    pending = [];
    pendingBytes = 0;
    while (bufs.length > 0) {
      const { bytesWritten } = await fh.writev(bufs, written);
      written += bytesWritten;
      bufs = dropBytes(bufs, bytesWritten);
    }
    // Start writing back to disk while the transfer goes on, so the final fsync has little left.
    if (written - synced >= SYNC_EVERY && !syncing) {
      synced = written;
      syncing = fh.datasync().catch(() => undefined).finally(() => (syncing = undefined));
    }
  };
  let synced = have;
  let syncing: Promise<unknown> | undefined;
  try {
    if (have === 0) await fh.truncate(0);
    for await (const chunk of src.body) {
      if (opts.signal?.aborted) throw new CanceledError();
      if (expected.size !== undefined && size + chunk.byteLength > expected.size) {
        bad = true;
        throw new IntegrityError(`${dest}: received more than the expected ${expected.size} bytes`, dest);
      }
      h.sha.update(chunk);
      h.git?.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      size += chunk.byteLength;
      if (pendingBytes >= WRITE_BATCH) await flush();
      opts.onBytes?.(chunk.byteLength);
    }
    await flush();
    if (opts.signal?.aborted) throw new CanceledError();
    if (expected.size !== undefined && size < expected.size) throw new ShortTransferError(`${dest}: the transfer ended at ${size} of ${expected.size} bytes`);
    bad = true;
    const sha256 = h.sha.digest('hex');
    checkDigests(dest, expected, sha256, h.git?.digest('hex'));
    bad = false;
    await syncing;
    await fh.truncate(size);
    await publish(fh, tmp, dest, () => (ok = true));
    return { sha256, size };
  } finally {
    if (!ok) {
      if (!bad) await flush().catch(() => undefined); // keep every byte received and hashed so far
      await syncing;
      await fh.close().catch(() => undefined);
      if (bad) await rm(tmp, { force: true });
    }
  }
}
