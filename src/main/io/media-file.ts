import { createHash } from 'node:crypto';
import { closeSync, constants, createReadStream, fstatSync, openSync, type ReadStream, type Stats } from 'node:fs';
import { lstat, open, realpath, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { isAbsolute, join, relative, sep } from 'node:path';
import { CanceledError, FerryError } from '../../shared/errors';
import { MAX_MANIFEST_BYTES } from '../bundle/manifest-schema';
import { MAX_KIT_JSON_BYTES } from '../kit/kit-schema';
import { parseStrictJson, StrictJsonError } from '../scan/strict-json';

/**
 * THE reader for bytes that came across the gap (bundles, volumes, the recipes and statements they carry).
 * Media is hostile (docs/security.md): every file is checked by lstat and opened with
 * O_RDONLY | O_NOFOLLOW | O_NONBLOCK, then fstat'ed (same inode, a regular file) before one byte is read,
 * so a FIFO, device, socket, directory or symlink is refused instead of hanging or leaking the host's
 * files; every parent folder between the root and the file must be a real folder (no symlinked
 * components); the size is bounded per kind BEFORE reading and reads stop at that bound; reads are
 * time-bounded and cancellable; errors name the file relative to its root and what it is, never its
 * content (JSON errors give a position only); media JSON with duplicate keys or deep nesting is refused.
 */

/**
 * Flags for a stream that must be opened synchronously from a path (a retry factory): no symlink, never
 * blocking on a FIFO. Prefer openMediaFile/mediaReadStream, which also refuse devices by fstat.
 */
export const MEDIA_OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * A stream opened synchronously with MEDIA_OPEN_FLAGS, for callers that need a factory (upload retries);
 * like openMediaFile it refuses, by fstat of the opened descriptor, anything but a regular file.
 */
export function openMediaStreamSync(path: string, opts: { start?: number; end?: number; highWaterMark?: number } = {}): ReadStream {
  let fd: number;
  try {
    fd = openSync(path, MEDIA_OPEN_FLAGS);
  } catch (err) {
    throw mapError(err as NodeJS.ErrnoException, path);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new MediaFileError(`${path} is ${describeFileType(st)}, not a regular file`, path, HINT, 'ENOTREG');
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return createReadStream('', { ...opts, fd, autoClose: true });
}

/** Size limits per kind of media file: the one table. */
export const MEDIA_LIMITS = {
  /** manifest.json: room for ~1M file entries. */
  manifest: MAX_MANIFEST_BYTES,
  /** FERRY-VOLUME.json: lists every file and part on the volume. */
  label: 64 << 20,
  /** A volume's copy of the manifest (same bound as the manifest). */
  'volume-manifest': MAX_MANIFEST_BYTES,
  /** lock.json: a recipe lock. */
  lock: 4 << 20,
  /** kit.json: the offline kit's own manifest (src/main/kit). */
  kit: MAX_KIT_JSON_BYTES,
  /** A recipe (YAML) carried in a bundle. */
  recipe: 1 << 20,
  /** A signed review statement under approvals/. */
  statement: 64 << 10,
  /** An exported custody log under custody/. */
  custody: 64 << 20,
  /** Other files under approvals/ and custody/ (sidecars). */
  sidecar: 16 << 20,
  /** Upgrade / release notes (notes/*.md). */
  notes: 4 << 20,
  /** A config carried in a files artifact (YAML) that Ferry parses before an install. */
  config: 16 << 20,
  /** OCI index.json / oci-layout / image manifests and configs read as JSON. */
  'oci-json': 4 << 20,
  /** Ollama manifests. */
  'ollama-manifest': 1 << 20,
  /** A signed inventory brought from the offline side (delta bundles). */
  inventory: 64 << 20,
  /** A Docker save archive's manifest.json / repositories. */
  'docker-json': 4 << 20,
  /** bom.cdx.json: the bundle's CycloneDX bill of materials (lists every file of every artifact). */
  bom: 64 << 20,
} as const;
export type MediaKind = keyof typeof MEDIA_LIMITS;

/** Per-file time bound for small reads; streams are bounded by their caller's signal. */
export const MEDIA_READ_TIMEOUT_MS = 30_000;
/** JSON nesting bound for media JSON (Ferry's own files nest well under 16). */
export const MEDIA_JSON_MAX_DEPTH = 32;

export class MediaFileError extends FerryError {
  constructor(
    message: string,
    readonly file: string,
    hint?: string,
    readonly code?: string,
  ) {
    super(message, hint, 'MediaFileError');
  }
}

export interface MediaReadOptions {
  /** Overall cancel (the job's signal). */
  signal?: AbortSignal;
  /** Per-file time bound (default MEDIA_READ_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Tighter bound than the kind's. */
  maxBytes?: number;
  /** How to name the file in errors (default: its path relative to the root). */
  label?: string;
}

const HINT = 'Media is read as regular files only; this bundle or volume was altered or not written by Ferry. Rebuild or rewrite it.';

/** What a non-regular file is, in words. */
export function describeFileType(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  if (st.isFile()) return 'a regular file';
  return 'a special file';
}

/** Keeps what a hostile name may put in a message short and printable. */
export function printable(s: string, max = 200): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

function relName(root: string, rel: string): string {
  return printable(rel.split(sep).join('/'));
}

function confine(root: string, rel: string, name: string): string {
  if (isAbsolute(rel) || rel.split(/[\\/]/).some((c) => c === '..')) {
    throw new MediaFileError(`${name}: the path leaves the bundle or volume`, name, HINT, 'EPATH');
  }
  return join(root, rel);
}

/** Refuses a path whose folders between `root` and the file are not real folders (symlinked components). */
async function checkParents(root: string, rel: string, name: string): Promise<void> {
  const parts = rel.split(/[\\/]/).filter((p) => p !== '' && p !== '.');
  let at = root;
  for (const p of parts.slice(0, -1)) {
    at = join(at, p);
    const st = await lstat(at).catch((err: NodeJS.ErrnoException) => {
      throw mapError(err, name);
    });
    if (!st.isDirectory()) {
      throw new MediaFileError(`${name}: its folder ${printable(relative(root, at).split(sep).join('/'))} is ${describeFileType(st)}, not a folder`, name, HINT, 'ENOTDIR');
    }
  }
}

function mapError(err: NodeJS.ErrnoException, name: string): Error {
  if (err instanceof MediaFileError || err instanceof CanceledError) return err;
  switch (err.code) {
    case 'ENOENT':
      return new MediaFileError(`${name} is missing`, name, undefined, 'ENOENT');
    case 'ELOOP':
    case 'EMLINK':
      return new MediaFileError(`${name} is a symbolic link; Ferry does not follow links on media`, name, HINT, 'ELOOP');
    case 'ENXIO':
      return new MediaFileError(`${name} is a socket or device, not a regular file`, name, HINT, 'ENXIO');
    case 'ENOTDIR':
      return new MediaFileError(`${name}: a folder on its path is not a folder`, name, HINT, 'ENOTDIR');
    case 'EACCES':
    case 'EPERM':
      return new MediaFileError(`${name} cannot be read (permission denied)`, name, 'Check the medium is mounted readable for this user.', err.code);
    default:
      return new MediaFileError(`${name} cannot be read (${err.code ?? 'error'})`, name, undefined, err.code);
  }
}

export interface OpenedMediaFile {
  fh: FileHandle;
  size: number;
  /** Absolute path that was opened. */
  path: string;
  close(): Promise<void>;
}

/**
 * Opens `rel` under `root` as a verified regular file (no symlink anywhere below the root, not a FIFO,
 * device, socket or directory), without reading. For big blobs: stream from `fh` yourself, at most `size`.
 */
export async function openMediaFile(root: string, rel: string, opts: { label?: string; maxBytes?: number } = {}): Promise<OpenedMediaFile> {
  const name = opts.label ?? relName(root, rel);
  const path = confine(root, rel, name);
  await checkParents(root, rel, name);
  let pre: Stats;
  try {
    pre = await lstat(path);
  } catch (err) {
    throw mapError(err as NodeJS.ErrnoException, name);
  }
  // Refuse before open: opening a device can have effects (a tape rewinds, a tty is claimed).
  if (!pre.isFile()) throw new MediaFileError(`${name} is ${describeFileType(pre)}, not a regular file`, name, HINT, 'ENOTREG');
  let fh: FileHandle;
  try {
    fh = await open(path, MEDIA_OPEN_FLAGS);
  } catch (err) {
    throw mapError(err as NodeJS.ErrnoException, name);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new MediaFileError(`${name} is ${describeFileType(st)}, not a regular file`, name, HINT, 'ENOTREG');
    if (st.ino !== pre.ino || st.dev !== pre.dev) throw new MediaFileError(`${name} changed while it was being opened`, name, HINT, 'ERACE');
    if (opts.maxBytes !== undefined && st.size > opts.maxBytes) {
      throw new MediaFileError(`${name} is ${st.size} bytes, over the ${opts.maxBytes}-byte limit for this kind of file`, name, HINT, 'EFBIG');
    }
    await checkOpenedPath(fh, root, rel, name);
    return { fh, size: st.size, path, close: () => fh.close() };
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
}

/** On Linux, what the descriptor really points at must be root + rel (no parent swapped for a link meanwhile). */
async function checkOpenedPath(fh: FileHandle, root: string, rel: string, name: string): Promise<void> {
  if (process.platform !== 'linux') return;
  let real: string;
  try {
    real = await realpath(`/proc/self/fd/${fh.fd}`);
  } catch {
    return;
  }
  const want = join(await realpath(root), rel);
  if (real !== want) throw new MediaFileError(`${name} is reached through a symbolic link; Ferry does not follow links on media`, name, HINT, 'ELOOP');
}

/** Reads a whole small media file of `kind`: regular file only, bounded size, time-bounded, cancellable. */
export async function readMediaFile(root: string, rel: string, kind: MediaKind, opts: MediaReadOptions = {}): Promise<Buffer> {
  const name = opts.label ?? relName(root, rel);
  const limit = Math.min(MEDIA_LIMITS[kind], opts.maxBytes ?? Number.MAX_SAFE_INTEGER);
  if (opts.signal?.aborted) throw new CanceledError();
  const f = await openMediaFile(root, rel, { label: name, maxBytes: limit });
  try {
    const deadline = Date.now() + (opts.timeoutMs ?? MEDIA_READ_TIMEOUT_MS);
    const buf = Buffer.allocUnsafe(f.size);
    let got = 0;
    while (got < f.size) {
      if (opts.signal?.aborted) throw new CanceledError();
      if (Date.now() > deadline) throw new MediaFileError(`${name}: reading took longer than ${opts.timeoutMs ?? MEDIA_READ_TIMEOUT_MS} ms`, name, HINT, 'ETIMEDOUT');
      const { bytesRead } = await f.fh.read(buf, got, Math.min(f.size - got, 4 << 20), got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got !== f.size) throw new MediaFileError(`${name} changed size while it was read`, name, HINT, 'ERACE');
    return buf;
  } catch (err) {
    throw mapError(err as NodeJS.ErrnoException, name);
  } finally {
    await f.close().catch(() => undefined);
  }
}

/**
 * Parses media JSON strictly: valid UTF-8, RFC 8259, no duplicate keys (a reviewer and a loader could
 * see different values), nesting bounded. Errors give a position, never content.
 */
export function parseMediaJson(bytes: Buffer, name: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new MediaFileError(`${name} is not valid UTF-8`, name, HINT, 'EJSON');
  }
  let parsed: { value: unknown; duplicates: string[] };
  try {
    parsed = parseStrictJson(text, { maxDepth: MEDIA_JSON_MAX_DEPTH, maxDuplicates: 1 });
  } catch (err) {
    const msg = err instanceof StrictJsonError ? err.message : 'not valid JSON';
    throw new MediaFileError(`${name} is not valid JSON: ${msg}`, name, HINT, 'EJSON');
  }
  if (parsed.duplicates.length > 0) {
    throw new MediaFileError(`${name} has a duplicate key ${printable(parsed.duplicates[0]!, 120)}; Ferry refuses ambiguous JSON`, name, HINT, 'EJSON');
  }
  return parsed.value;
}

/** Reads and strictly parses a media JSON file; returns the value, the bytes and their sha256. */
export async function readMediaJson(
  root: string,
  rel: string,
  kind: MediaKind,
  opts: MediaReadOptions = {},
): Promise<{ value: unknown; bytes: Buffer; sha256: string }> {
  const bytes = await readMediaFile(root, rel, kind, opts);
  const value = parseMediaJson(bytes, opts.label ?? relName(root, rel));
  return { value, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** A readable stream of a verified-regular media file (at most its size at open), for hashing and copying. */
export async function mediaReadStream(
  root: string,
  rel: string,
  opts: { label?: string; signal?: AbortSignal; start?: number; end?: number; highWaterMark?: number } = {},
): Promise<{ stream: NodeJS.ReadableStream & AsyncIterable<Buffer>; size: number }> {
  const f = await openMediaFile(root, rel, { label: opts.label });
  if (f.size === 0 || (opts.start ?? 0) >= f.size) {
    await f.close();
    return { stream: Readable.from([]) as unknown as NodeJS.ReadableStream & AsyncIterable<Buffer>, size: f.size };
  }
  const end = Math.min(opts.end ?? f.size - 1, f.size - 1);
  const stream = f.fh.createReadStream({ start: opts.start ?? 0, end, highWaterMark: opts.highWaterMark ?? 1 << 20, signal: opts.signal, autoClose: true });
  return { stream: stream as unknown as NodeJS.ReadableStream & AsyncIterable<Buffer>, size: f.size };
}

/** Splits an absolute media path into (root, rel) for callers that hold a joined path and know its root. */
export function underRoot(root: string, abs: string): string {
  const rel = relative(root, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new MediaFileError(`${printable(abs)} is outside ${printable(root)}`, printable(abs), HINT, 'EPATH');
  return rel;
}
