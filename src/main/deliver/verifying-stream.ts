import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { CanceledError, FerryError } from '../../shared/errors';
import { openMediaFile } from '../io/media-file';

/**
 * The one read of a bundle file during delivery: opened through the hostile-media reader
 * (regular file, no links, size as the manifest says), hashed as it streams, and the LAST chunk
 * is held back until the whole content is proven. A consumer (registry upload, docker-archive
 * tar entry, temp file) therefore never receives a complete copy of bytes that do not match:
 * a mismatch throws DeliveryMismatchError naming the bundle file instead of ending the stream.
 */

const CHUNK = 1 << 20;

export interface ExpectedContent {
  /** Lowercase hex sha256 (no `sha256:` prefix). */
  sha256: string;
  size: number;
}

export interface VerifiedReadOptions {
  signal?: AbortSignal;
  /** How the file is named in errors and in the read counter: its path relative to the bundle. */
  label?: string;
  /** The bundle folder, for the hint of a mismatch. */
  bundleDir?: string;
}

/** A bundle file whose bytes differ from what its manifest records; nothing built from it became visible. */
export class DeliveryMismatchError extends FerryError {
  constructor(
    readonly file: string,
    message: string,
    hint?: string,
  ) {
    super(message, hint, 'IntegrityError');
  }

  /** The same problem told in a caller's terms (what it was delivering, what it left undone). */
  within(prefix: string, suffix: string): DeliveryMismatchError {
    return new DeliveryMismatchError(this.file, `${prefix}: ${this.message}; ${suffix}`, this.hint);
  }
}

function mismatch(file: string, detail: string, bundleDir?: string): DeliveryMismatchError {
  return new DeliveryMismatchError(
    file,
    `${file}: ${detail}; it changed on the medium after the bundle was made, and nothing built from it was delivered`,
    bundleDir ? `Run "ferry verify ${bundleDir}" to list every problem, and bring the bundle again.` : 'Verify the bundle and bring it again.',
  );
}

/**
 * Bytes read per bundle file by delivery, for tests that prove each byte is read once.
 * Counts nothing unless `enabled` is set.
 */
export const deliveryReads = { enabled: false, bytes: new Map<string, number>() };

/**
 * Test hook, inert unless the environment names files in it: FERRY_TEST_TAMPER_DURING_READ is a
 * comma-separated list of bundle-relative paths. For a listed file, delivery reads a first 4 KiB,
 * then (as another writer on the medium would) flips the file's last byte through a separate
 * descriptor, then reads on. It lets an integration test change a file AFTER the import began.
 */
export const TAMPER_HOOK_ENV = 'FERRY_TEST_TAMPER_DURING_READ';
const TAMPER_FIRST_READ = 4096;

function tamperTarget(label: string): boolean {
  const list = process.env[TAMPER_HOOK_ENV];
  return !!list && list.split(',').includes(label);
}

async function flipLastByte(path: string, size: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, size - 1);
    b[0]! ^= 0xff;
    await fh.write(b, 0, 1, size - 1);
  } finally {
    await fh.close();
  }
}

/** Streams `rel` under `root`, proving size and sha256 before the last chunk is handed on. */
export async function* verifiedChunks(root: string, rel: string, expected: ExpectedContent, opts: VerifiedReadOptions = {}): AsyncGenerator<Buffer> {
  const label = opts.label ?? rel;
  if (opts.signal?.aborted) throw new CanceledError();
  const f = await openMediaFile(root, rel, { label });
  try {
    if (f.size !== expected.size) throw mismatch(label, `${f.size} bytes, the manifest records ${expected.size}`, opts.bundleDir);
    const hash = createHash('sha256');
    const tamper = tamperTarget(label) && f.size > TAMPER_FIRST_READ;
    let got = 0;
    let held: Buffer | undefined;
    while (got < f.size) {
      if (opts.signal?.aborted) throw new CanceledError();
      const want = tamper && got === 0 ? TAMPER_FIRST_READ : Math.min(CHUNK, f.size - got);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await f.fh.read(buf, 0, want, got);
      if (bytesRead === 0) throw mismatch(label, `it ended at byte ${got} of ${expected.size}`, opts.bundleDir);
      if (deliveryReads.enabled) deliveryReads.bytes.set(label, (deliveryReads.bytes.get(label) ?? 0) + bytesRead);
      const chunk = bytesRead === want ? buf : buf.subarray(0, bytesRead);
      hash.update(chunk);
      got += bytesRead;
      if (tamper && got === TAMPER_FIRST_READ) await flipLastByte(f.path, f.size);
      if (held) yield held;
      held = chunk;
    }
    const sha256 = hash.digest('hex');
    if (sha256 !== expected.sha256) throw mismatch(label, `sha256 ${sha256}, the manifest records ${expected.sha256}`, opts.bundleDir);
    if (held) yield held;
  } finally {
    await f.close().catch(() => undefined);
  }
}

/** Reads a small bundle file whole (image manifests), proven like verifiedChunks. */
export async function readVerified(root: string, rel: string, expected: ExpectedContent, opts: VerifiedReadOptions = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of verifiedChunks(root, rel, expected, opts)) parts.push(c);
  return Buffer.concat(parts);
}
