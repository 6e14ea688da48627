/**
 * NumPy .npy headers, read as numpy.load(allow_pickle=False) reads them (numpy/lib/format.py): a
 * Python-literal dict {'descr', 'fortran_order', 'shape'} parsed without evaluating anything. A file is
 * clean when the header is well-formed, the dtype holds no Python objects, and the data is complete.
 */
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
  /** Bytes of array data the header calls for (undefined when the dtype holds objects: the data is a pickle). */
  dataBytes?: number;
}

/** Total header length once `b` holds the prefix (10 or 12 bytes); undefined when more bytes are needed. */
export function npyHeaderLength(b: Buffer): number | undefined {
  if (b.length < 8) return undefined;
  const major = b[6];
  if (major === 1) return b.length < 10 ? undefined : 10 + b.readUInt16LE(8);
  if (major === 2 || major === 3) return b.length < 12 ? undefined : 12 + b.readUInt32LE(8);
  throw new NpyError(`unsupported .npy format version ${major}.${b[7]}`);
}

/** Parses the header dict (a Python literal, never evaluated). Throws NpyError on anything numpy would refuse or the scanner does not know. */
export function parseNpyHeader(b: Buffer): NpyHeader {
  if (!b.subarray(0, 6).equals(NPY_MAGIC)) throw new NpyError('not a .npy file (bad magic)');
  const length = npyHeaderLength(b);
  if (length === undefined || length > b.length) throw new NpyError('header truncated');
  const text = b.subarray(b[6] === 1 ? 10 : 12, length).toString(b[6] === 3 ? 'utf8' : 'latin1');
  let d: unknown;
  try {
    d = parsePyLiteral(text.trim());
  } catch (err) {
    throw new NpyError(`header is not a Python literal: ${(err as Error).message}`);
  }
  if (!(d instanceof Map)) throw new NpyError('header is not a dict');
  const keys = [...d.keys()].sort().join(',');
  if (keys !== 'descr,fortran_order,shape') throw new NpyError(`header keys are ${keys || 'none'}, not descr, fortran_order and shape`);
  const shape = d.get('shape');
  if (!Array.isArray(shape) || !shape.every((x) => typeof x === 'bigint' && x >= 0n)) throw new NpyError('shape is not a tuple of non-negative integers');
  if (typeof d.get('fortran_order') !== 'boolean') throw new NpyError('fortran_order is not True or False');
  const descr = d.get('descr');
  const dt = dtypeSize(descr);
  const descrText = (typeof descr === 'string' ? descr : JSON.stringify(descr, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v instanceof Map ? Object.fromEntries(v) : v))).slice(0, 200);
  if (dt.object) return { length, descr: descrText, hasObject: true };
  const count = (shape as bigint[]).reduce((a, x) => a * x, 1n);
  const bytes = count * BigInt(dt.size);
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new NpyError(`shape ${String(shape)} is too large`);
  return { length, descr: descrText, hasObject: false, dataBytes: Number(bytes) };
}

const TYPESTR = /^[<>|=]?([biufcSUVOMma?])(\d*)(\[[A-Za-z0-9]+\])?$/;

/** Item size of a descr as numpy's dtype_to_descr writes it (typestr, or a list of fields). */
function dtypeSize(descr: unknown, depth = 0): { size: number; object: boolean } {
  if (depth > 16) throw new NpyError('dtype nested too deeply');
  if (typeof descr === 'string') {
    const m = TYPESTR.exec(descr);
    if (!m) throw new NpyError(`dtype '${descr.slice(0, 40)}' is not one the scanner knows`);
    const [, kind, digits] = m;
    const n = digits ? Number(digits) : undefined;
    if (kind === 'O') return { size: 8, object: true };
    if (kind === '?') return { size: 1, object: false };
    if (kind === 'M' || kind === 'm') return { size: 8, object: false };
    if (n === undefined) throw new NpyError(`dtype '${descr}' has no size`);
    return { size: kind === 'U' ? 4 * n : n, object: false };
  }
  if (Array.isArray(descr)) {
    let size = 0;
    let object = false;
    for (const field of descr) {
      if (!Array.isArray(field) || field.length < 2 || field.length > 3) throw new NpyError('a structured dtype field is not (name, dtype[, shape])');
      const inner = dtypeSize(field[1], depth + 1);
      const shape = field[2] ?? [];
      if (!Array.isArray(shape) || !shape.every((x) => typeof x === 'bigint' && x >= 0n)) throw new NpyError('a field shape is not a tuple of integers');
      size += inner.size * Number((shape as bigint[]).reduce((a, x) => a * x, 1n));
      object ||= inner.object;
    }
    return { size, object };
  }
  throw new NpyError('descr is neither a type string nor a list of fields');
}

/** A Python literal: str, int (bigint), True/False/None, tuple/list (arrays), dict (Map). Nothing is evaluated. */
export function parsePyLiteral(text: string): unknown {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const fail = (msg: string): never => {
    throw new Error(`${msg} at position ${i}`);
  };
  const value = (depth: number): unknown => {
    if (depth > 32) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      if (s.includes('\\')) fail('escapes in strings are not supported');
      i = end + 1;
      return s;
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const out: unknown[] = [];
      for (;;) {
        ws();
        if (text[i] === close) return i++, out;
        out.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (c === '{') {
      i++;
      const out = new Map<string, unknown>();
      for (;;) {
        ws();
        if (text[i] === '}') return i++, out;
        const k = value(depth + 1);
        if (typeof k !== 'string') fail('dict key is not a string');
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        if (out.has(k as string)) fail(`duplicate key ${String(k)}`);
        out.set(k as string, value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("expected ',' or '}'");
      }
    }
    for (const [lit, v] of [['True', true], ['False', false], ['None', null]] as const) if (text.startsWith(lit, i)) return (i += lit.length), v;
    const m = /^-?\d{1,30}L?/.exec(text.slice(i, i + 32));
    if (!m) return fail('unexpected character');
    i += m[0].length;
    return BigInt(m[0].replace('L', ''));
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('unexpected data after the literal');
  return v;
}
