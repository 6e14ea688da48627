import { Readable, pipeline } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import { readRange, type ReadableFile } from './file-source';

/**
 * A minimal zip reader for hostile input: the central directory is located from the end of the file
 * with bounded reads (zip64 included), and one member at a time is streamed out (stored or deflate),
 * its size and CRC checked at the end. Member names are data only, never used as paths.
 */
export interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  zip64: boolean;
  /** Oddities that do not stop reading (gaps, prepended data). */
  problems: string[];
}

export class ZipError extends Error {
  override name = 'ZipError';
}

export const ZIP_LIMITS = { maxEntries: 1_000_000, maxDirectoryBytes: 64 << 20 };

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

export async function readZipDirectory(file: ReadableFile): Promise<ZipDirectory> {
  const size = file.size;
  if (size < 22) throw new ZipError('too small to be a zip archive');
  const tailLen = Math.min(size, 22 + 0xffff + 20);
  const tail = await file.read(size - tailLen, tailLen);
  let i = tail.length - 22;
  for (; i >= 0; i--) if (tail.readUInt32LE(i) === EOCD && i + 22 + tail.readUInt16LE(i + 20) === tail.length) break;
  if (i < 0) throw new ZipError('no end-of-central-directory record');
  const eocdPos = size - tailLen + i;
  if (tail.readUInt16LE(i + 4) !== 0 && tail.readUInt16LE(i + 4) !== 0xffff) throw new ZipError('multi-disk archives are not supported');
  let entries = tail.readUInt16LE(i + 10);
  let cdSize = tail.readUInt32LE(i + 12);
  let cdOffset = tail.readUInt32LE(i + 16);
  let dirEnd = eocdPos;
  let zip64 = false;
  if (i >= 20 && tail.readUInt32LE(i - 20) === ZIP64_LOCATOR) {
    const recPos = u64(tail, i - 20 + 8, 'zip64 locator');
    if (recPos + 56 > eocdPos - 20) throw new ZipError('zip64 end record outside the file');
    const rec = await file.read(recPos, 56);
    if (rec.length < 56 || rec.readUInt32LE(0) !== ZIP64_EOCD) throw new ZipError('zip64 end record missing');
    entries = u64(rec, 32, 'entry count');
    cdSize = u64(rec, 40, 'directory size');
    cdOffset = u64(rec, 48, 'directory offset');
    dirEnd = recPos;
    zip64 = true;
  } else if (entries === 0xffff || cdSize === MAX32 || cdOffset === MAX32) throw new ZipError('zip64 values without a zip64 end record');
  if (entries > ZIP_LIMITS.maxEntries) throw new ZipError(`${entries} entries is more than ${ZIP_LIMITS.maxEntries}`);
  if (cdSize > ZIP_LIMITS.maxDirectoryBytes) throw new ZipError(`central directory of ${cdSize} bytes is larger than ${ZIP_LIMITS.maxDirectoryBytes}`);
  if (cdOffset + cdSize > dirEnd) throw new ZipError('central directory runs past its end record');
  if (entries * 46 > cdSize) throw new ZipError(`central directory of ${cdSize} bytes cannot hold ${entries} entries`);
  const problems: string[] = [];
  if (cdOffset + cdSize !== dirEnd) problems.push(`${dirEnd - cdOffset - cdSize} unexplained bytes between the central directory and its end record`);
  const cd = await file.read(cdOffset, cdSize);
  if (cd.length !== cdSize) throw new ZipError('central directory truncated');
  return { entries: parseDirectory(cd, entries, size), zip64, problems };
}

function parseDirectory(cd: Buffer, count: number, fileSize: number): ZipEntry[] {
  const out: ZipEntry[] = [];
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw new ZipError(`central directory entry ${n} is malformed`);
    const flags = cd.readUInt16LE(p + 8);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > cd.length) throw new ZipError(`central directory entry ${n} runs past the directory`);
    const nameBytes = cd.subarray(p + 46, p + 46 + nameLen);
    const e: ZipEntry = {
      name: nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1'),
      flags,
      method: cd.readUInt16LE(p + 10),
      crc32: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      uncompressedSize: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
    };
    applyZip64Extra(e, cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen), n);
    if (e.localHeaderOffset + 30 > fileSize) throw new ZipError(`entry ${n} starts past the end of the file`);
    out.push(e);
    p = next;
  }
  return out;
}

function applyZip64Extra(e: ZipEntry, extra: Buffer, n: number): void {
  const fields = (['uncompressedSize', 'compressedSize', 'localHeaderOffset'] as const).filter((k) => e[k] === MAX32);
  if (!fields.length) return;
  for (let q = 0; q + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(q);
    const len = extra.readUInt16LE(q + 2);
    if (q + 4 + len > extra.length) break;
    if (id === 0x0001) {
      if (len < fields.length * 8) throw new ZipError(`entry ${n}: zip64 extra field too short`);
      fields.forEach((k, j) => (e[k] = u64(extra, q + 4 + j * 8, `entry ${n} ${k}`)));
      return;
    }
    q += 4 + len;
  }
  throw new ZipError(`entry ${n}: 32-bit size or offset overflow without a zip64 extra field`);
}

function u64(b: Buffer, at: number, what: string): number {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`${what} out of range`);
  return Number(v);
}

/** Where a member's data lies, once its local header was checked against the directory. */
export interface MemberSpan {
  /** Offset of the local header. */
  header: number;
  /** Offset of the (compressed) data and the end of the data (a data descriptor, if any, follows). */
  dataStart: number;
  dataEnd: number;
}

const ENCRYPTION_FLAGS = 0x1 | 0x40 | 0x2000;

/**
 * Checks a member as miniz (PyTorch's zip reader) and Python's zipfile would find it, without reading
 * its data: not encrypted, a method they read (stored or deflate), a local header that agrees with the
 * directory (flags, method, name, and CRC and sizes unless a data descriptor follows), data inside the
 * file. Throws ZipError naming the disagreement.
 */
export async function checkZipMember(file: ReadableFile, e: ZipEntry): Promise<MemberSpan> {
  if (e.flags & ENCRYPTION_FLAGS) throw new ZipError(`general-purpose flags 0x${e.flags.toString(16)} say encrypted`);
  if (e.method !== 0 && e.method !== 8) throw new ZipError(`compression method ${e.method}, which PyTorch's loader and the scanner cannot read`);
  const head = await file.read(e.localHeaderOffset, 30);
  if (head.length < 30 || head.readUInt32LE(0) !== LOCAL) throw new ZipError(`no local header at offset ${e.localHeaderOffset}`);
  const flags = head.readUInt16LE(6);
  const method = head.readUInt16LE(8);
  const nameLen = head.readUInt16LE(26);
  const extraLen = head.readUInt16LE(28);
  if (flags & ENCRYPTION_FLAGS) throw new ZipError(`local header flags 0x${flags.toString(16)} say encrypted`);
  if ((flags & 0x0809) !== (e.flags & 0x0809)) throw new ZipError(`local header flags 0x${flags.toString(16)} differ from the directory's 0x${e.flags.toString(16)}`);
  if (method !== e.method) throw new ZipError(`local header says compression method ${method}, the directory ${e.method}`);
  const localName = await file.read(e.localHeaderOffset + 30, nameLen);
  if (localName.toString(e.flags & 0x800 ? 'utf8' : 'latin1') !== e.name) throw new ZipError(`local header names it '${localName.toString('latin1').slice(0, 200)}'`);
  if (!(flags & 0x8)) {
    const [crc, csize, usize] = [head.readUInt32LE(14), head.readUInt32LE(18), head.readUInt32LE(22)];
    const sizesDiffer = (csize !== MAX32 && csize !== e.compressedSize) || (usize !== MAX32 && usize !== e.uncompressedSize);
    if (crc !== e.crc32 || sizesDiffer) {
      throw new ZipError(`local header (CRC ${hex(crc)}, ${csize}/${usize} bytes) disagrees with the directory (CRC ${hex(e.crc32)}, ${e.compressedSize}/${e.uncompressedSize} bytes)`);
    }
  }
  const dataStart = e.localHeaderOffset + 30 + nameLen + extraLen;
  const dataEnd = dataStart + e.compressedSize;
  if (dataEnd > file.size) throw new ZipError('data runs past the end of the file');
  if (e.method === 0 && e.compressedSize !== e.uncompressedSize) throw new ZipError('stored member with different compressed and uncompressed sizes');
  if (flags & 0x8) await checkDataDescriptor(file, e, dataEnd);
  return { header: e.localHeaderOffset, dataStart, dataEnd };
}

/** A data descriptor (flag bit 3) after the data: optional signature, then CRC and sizes (32- or 64-bit) that must match the directory. */
async function checkDataDescriptor(file: ReadableFile, e: ZipEntry, at: number): Promise<void> {
  const b = await file.read(at, 28);
  const off = b.length >= 4 && b.readUInt32LE(0) === 0x08074b50 ? 4 : 0;
  const ok32 = b.length >= off + 12 && b.readUInt32LE(off) === e.crc32 && b.readUInt32LE(off + 4) === e.compressedSize && b.readUInt32LE(off + 8) === e.uncompressedSize;
  const ok64 = b.length >= off + 20 && b.readUInt32LE(off) === e.crc32 && b.readBigUInt64LE(off + 4) === BigInt(e.compressedSize) && b.readBigUInt64LE(off + 12) === BigInt(e.uncompressedSize);
  if (!ok32 && !ok64) throw new ZipError('the data descriptor after the data disagrees with the directory');
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/**
 * Streams one member's uncompressed bytes. Stop iterating to stop reading. Throws ZipError for what
 * checkZipMember refuses and, once fully read, size or CRC mismatches.
 */
export async function* readZipMember(file: ReadableFile, e: ZipEntry, opts: { signal?: AbortSignal } = {}): AsyncGenerator<Buffer> {
  const { dataStart: start } = await checkZipMember(file, e);
  const raw = readRange(file, start, start + e.compressedSize, opts.signal, 256 << 10);
  const source: AsyncIterable<Buffer> = e.method === 0 ? raw : pipeline(Readable.from(raw), createInflateRaw(), () => undefined);
  let crc = 0;
  let total = 0;
  for await (const chunk of source) {
    crc = crc32(chunk, crc);
    total += chunk.length;
    if (total > e.uncompressedSize) throw new ZipError(`the data holds more than the ${e.uncompressedSize} bytes the directory says`);
    yield chunk;
  }
  if (total !== e.uncompressedSize) throw new ZipError(`the directory says ${e.uncompressedSize} bytes, the data holds ${total}`);
  if (crc >>> 0 !== e.crc32) throw new ZipError('CRC-32 mismatch (the member was altered or damaged)');
}
