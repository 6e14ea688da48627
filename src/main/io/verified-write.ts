import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CanceledError, FerryError } from '../../shared/errors';

export interface TransferOptions {
  signal?: AbortSignal;
  /** Called with the number of new bytes after each chunk. */
  onBytes?: (n: number) => void;
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

/**
 * Streams `source` into `dest`, hashing every byte once as it passes. The data lands in
 * `dest.tmp`, is fsynced, and is renamed over `dest` only when size and hashes match;
 * on any failure the temp file is removed and `dest` is untouched.
 */
export async function writeVerified(
  source: AsyncIterable<Uint8Array>,
  dest: string,
  expected: Expected,
  opts: TransferOptions = {},
): Promise<Written> {
  const tmp = `${dest}.tmp`;
  await mkdir(dirname(dest), { recursive: true });
  const sha = createHash('sha256');
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
      sha.update(chunk);
      git?.update(chunk);
      let off = 0;
      while (off < chunk.byteLength) {
        const { bytesWritten } = await fh.write(chunk, off, chunk.byteLength - off);
        off += bytesWritten;
      }
      opts.onBytes?.(chunk.byteLength);
    }
    if (opts.signal?.aborted) throw new CanceledError();
    const sha256 = sha.digest('hex');
    if (expected.size !== undefined && size !== expected.size) {
      throw new IntegrityError(`${dest}: expected ${expected.size} bytes, received ${size}`, dest);
    }
    if (expected.sha256 !== undefined && sha256 !== expected.sha256.toLowerCase()) {
      throw new IntegrityError(`${dest}: sha256 ${sha256} does not match the expected ${expected.sha256}`, dest);
    }
    if (git && expected.gitSha1 !== undefined) {
      const got = git.digest('hex');
      if (got !== expected.gitSha1.toLowerCase()) {
        throw new IntegrityError(`${dest}: git blob id ${got} does not match the expected ${expected.gitSha1}`, dest);
      }
    }
    await fh.sync();
    await fh.close();
    ok = true;
    await rename(tmp, dest);
    return { sha256, size };
  } finally {
    if (!ok) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
    }
  }
}
