/** NumPy .npy headers: only what decides whether the body is a pickle (object dtype). */
export const NPY_MAGIC = Buffer.from('\x93NUMPY', 'latin1');
export const MAX_NPY_HEADER = 1 << 20;

export class NpyError extends Error {
  override name = 'NpyError';
}

export interface NpyHeader {
  /** Bytes before the array data. */
  length: number;
  descr: string;
  hasObject: boolean;
}

/** Total header length once `b` holds the prefix (10 or 12 bytes); undefined when more bytes are needed. */
export function npyHeaderLength(b: Buffer): number | undefined {
  if (b.length < 8) return undefined;
  const major = b[6];
  if (major === 1) return b.length < 10 ? undefined : 10 + b.readUInt16LE(8);
  if (major === 2 || major === 3) return b.length < 12 ? undefined : 12 + b.readUInt32LE(8);
  throw new NpyError(`unsupported .npy format version ${major}.${b[7]}`);
}

/** Parses the header dict text (a Python literal, never evaluated). Throws on malformed headers. */
export function parseNpyHeader(b: Buffer): NpyHeader {
  if (!b.subarray(0, 6).equals(NPY_MAGIC)) throw new NpyError('not a .npy file (bad magic)');
  const length = npyHeaderLength(b);
  if (length === undefined || length > b.length) throw new NpyError('header truncated');
  const text = b.subarray(b[6] === 1 ? 10 : 12, length).toString(b[6] === 3 ? 'utf8' : 'latin1');
  const m = /['"]descr['"]\s*:\s*/.exec(text);
  if (!m || !text.trimStart().startsWith('{')) throw new NpyError('header has no descr');
  const rest = text.slice(m.index + m[0].length);
  const stop = rest.search(/,\s*['"](fortran_order|shape)['"]\s*:/);
  const descr = (stop < 0 ? rest.replace(/[,\s}]*$/, '') : rest.slice(0, stop)).trim();
  // A plain object dtype ('|O') or an object field inside a structured dtype ([('a', '|O'), …]).
  const hasObject = /^['"][|<>=]?O\d*['"]$/.test(descr) || /,\s*['"][|<>=]?O\d*['"]/.test(descr);
  return { length, descr: descr.slice(0, 200), hasObject };
}
