import { PickleWalker } from './pickle-walker';

/**
 * What a file is, from its first bytes only (never its name). The scanner dispatches on this, so a
 * pickle named README or weights.bin is unpickled-symbolically all the same, and a zip named .txt is
 * opened.
 */
export type FileKind =
  | 'pickle' // protocol 2+ (PROTO opcode) or a protocol 0/1 stream that imports or completes
  | 'zip'
  | 'npy'
  | 'safetensors'
  | 'gguf'
  | 'hdf5'
  | 'unsupported' // a compressed file or archive the scanner does not open
  | 'data'; // none of the above: loaders would not run anything from it

export interface Detected {
  kind: FileKind;
  /** For 'unsupported': the format's name (gzip, 7z, …). */
  format?: string;
}

/** Bytes of the head a caller should pass: enough for tar's magic at 257 and a protocol 0/1 pickle sniff. */
export const SNIFF_BYTES = 64 << 10;

const CONTAINERS: [string, number, Buffer][] = [
  ['gzip', 0, Buffer.from([0x1f, 0x8b])],
  ['bzip2', 0, Buffer.from('BZh', 'latin1')],
  ['xz', 0, Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ['lzma', 0, Buffer.from([0x5d, 0x00, 0x00])],
  ['zstd', 0, Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
  ['lz4', 0, Buffer.from([0x04, 0x22, 0x4d, 0x18])],
  ['7z', 0, Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])],
  ['rar', 0, Buffer.from('Rar!\x1a\x07', 'latin1')],
  ['tar', 257, Buffer.from('ustar', 'latin1')],
  ['cpio', 0, Buffer.from('070701', 'latin1')],
  ['cpio', 0, Buffer.from('070707', 'latin1')],
  ['ar', 0, Buffer.from('!<arch>\n', 'latin1')],
  ['cab', 0, Buffer.from('MSCF', 'latin1')],
  ['zip (split or spanned)', 0, Buffer.from('PK\x07\x08', 'latin1')],
  ['Java class or Mach-O fat binary', 0, Buffer.from([0xca, 0xfe, 0xba, 0xbe])],
];

export const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
const EMPTY_ZIP = Buffer.from('PK\x05\x06', 'latin1');
const NPY_MAGIC = Buffer.from('\x93NUMPY', 'latin1');
const HDF5_MAGIC = Buffer.from('\x89HDF\r\n\x1a\n', 'latin1');

/** `head` is the file's first bytes (up to SNIFF_BYTES); `size` its full size. */
export function detectKind(head: Buffer, size: number): Detected {
  const at = (off: number, magic: Buffer): boolean => head.length >= off + magic.length && head.subarray(off, off + magic.length).equals(magic);
  if (at(0, ZIP_MAGIC) || at(0, EMPTY_ZIP)) return { kind: 'zip' };
  if (at(0, NPY_MAGIC)) return { kind: 'npy' };
  if (at(0, HDF5_MAGIC)) return { kind: 'hdf5' };
  if (at(0, Buffer.from('GGUF', 'latin1'))) return { kind: 'gguf' };
  if (isSafetensorsHead(head, size)) return { kind: 'safetensors' };
  if (head.length >= 2 && head[0] === 0x80 && head[1] <= 5) return { kind: 'pickle' };
  for (const [format, off, magic] of CONTAINERS) if (at(off, magic)) return { kind: 'unsupported', format };
  if (sniffOldPickle(head, size)) return { kind: 'pickle' };
  return { kind: 'data' };
}

/** An 8-byte little-endian header length that fits in the file (or a plausible one for a truncated file), then '{'. */
export function isSafetensorsHead(head: Buffer, size: number): boolean {
  if (head.length < 10 || head[8] !== 0x7b) return false;
  const n = head.readBigUInt64LE(0);
  return n >= 2n && n <= 100n << 20n && (n <= BigInt(size - 8) || head[9] === 0x22 || head[9] === 0x20 || head[9] === 0x0a);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * Protocol 0 and 1 pickles have no magic. Python's unpickler (and torch.load on a non-zip file) runs
 * opcodes from byte 0, so the head is walked symbolically: it is a pickle when, before any error, it
 * imports a name that find_class could resolve (a valid dotted identifier), or reaches STOP.
 */
export function sniffOldPickle(head: Buffer, size: number): boolean {
  const w = new PickleWalker({ maxPickles: 1 }, size);
  w.push(head.subarray(0, SNIFF_BYTES));
  const scan = w.end();
  const firstError = scan.errors.length ? Math.min(...scan.errors.map((e) => e.offset)) : Infinity;
  if (scan.pickles > 0 && firstError === Infinity) return true;
  return scan.imports.some((i) => i.offset < firstError && i.opcode !== 'STACK_GLOBAL' && IDENT.test(i.module) && IDENT.test(i.name));
}

/** First bytes read for detection; a protocol 0/1 pickle candidate gets SNIFF_BYTES. */
export const HEAD_BYTES = 1024;

/** Reads the head of a file (little for most files) and detects its kind. */
export async function detectFile(file: { size: number; read(position: number, length: number): Promise<Buffer> }): Promise<Detected & { head: Buffer }> {
  let head = await file.read(0, HEAD_BYTES);
  let d = detectKind(head, file.size);
  if (d.kind === 'data' && head.length === HEAD_BYTES && file.size > HEAD_BYTES && OLD_PICKLE_START.has(head[0])) {
    head = await file.read(0, SNIFF_BYTES);
    d = detectKind(head, file.size);
  }
  return { ...d, head };
}

/** Opcodes a protocol 0/1 pickle can start with. */
const OLD_PICKLE_START = new Set([...'(cdilpIJKLMNSTUVXFGgh}])'].map((c) => c.charCodeAt(0)));
