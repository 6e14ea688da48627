/**
 * Pickle opcodes, protocols 0–5 (CPython Lib/pickletools.py), with how each one's argument is encoded.
 * The walker needs only the argument layout to step over every opcode without executing anything.
 */
export type ArgKind =
  | 'none'
  | 'u1' | 'u2' | 'i4' | 'u4' | 'u8' | 'f8'
  | 'line' // one '\n'-terminated line (decimal numbers, persistent ids, protocol-0 strings)
  | 'line2' // two lines: module and name (GLOBAL, INST)
  | 'bytes1' | 'bytes4' | 'ubytes4' | 'bytes8' // length-prefixed payloads: u1, signed i4, u4, u8
  | 'long1' | 'long4';

export interface OpInfo {
  name: string;
  arg: ArgKind;
  /** Fixed argument width, or undefined for lines and payloads. */
  width?: number;
  /** Width of a payload's length prefix (0 when not a payload). */
  prefix: number;
}

const TABLE: [string, string, ArgKind][] = [
  ['(', 'MARK', 'none'], ['.', 'STOP', 'none'], ['0', 'POP', 'none'], ['1', 'POP_MARK', 'none'], ['2', 'DUP', 'none'],
  ['F', 'FLOAT', 'line'], ['I', 'INT', 'line'], ['J', 'BININT', 'i4'], ['K', 'BININT1', 'u1'], ['L', 'LONG', 'line'],
  ['M', 'BININT2', 'u2'], ['N', 'NONE', 'none'], ['P', 'PERSID', 'line'], ['Q', 'BINPERSID', 'none'], ['R', 'REDUCE', 'none'],
  ['S', 'STRING', 'line'], ['T', 'BINSTRING', 'bytes4'], ['U', 'SHORT_BINSTRING', 'bytes1'], ['V', 'UNICODE', 'line'],
  ['X', 'BINUNICODE', 'ubytes4'], ['a', 'APPEND', 'none'], ['b', 'BUILD', 'none'], ['c', 'GLOBAL', 'line2'], ['d', 'DICT', 'none'],
  ['}', 'EMPTY_DICT', 'none'], ['e', 'APPENDS', 'none'], ['g', 'GET', 'line'], ['h', 'BINGET', 'u1'], ['i', 'INST', 'line2'],
  ['j', 'LONG_BINGET', 'u4'], ['l', 'LIST', 'none'], [']', 'EMPTY_LIST', 'none'], ['o', 'OBJ', 'none'], ['p', 'PUT', 'line'],
  ['q', 'BINPUT', 'u1'], ['r', 'LONG_BINPUT', 'u4'], ['s', 'SETITEM', 'none'], ['t', 'TUPLE', 'none'], [')', 'EMPTY_TUPLE', 'none'],
  ['u', 'SETITEMS', 'none'], ['G', 'BINFLOAT', 'f8'],
  // protocol 2
  ['\x80', 'PROTO', 'u1'], ['\x81', 'NEWOBJ', 'none'], ['\x82', 'EXT1', 'u1'], ['\x83', 'EXT2', 'u2'], ['\x84', 'EXT4', 'i4'],
  ['\x85', 'TUPLE1', 'none'], ['\x86', 'TUPLE2', 'none'], ['\x87', 'TUPLE3', 'none'], ['\x88', 'NEWTRUE', 'none'], ['\x89', 'NEWFALSE', 'none'],
  ['\x8a', 'LONG1', 'long1'], ['\x8b', 'LONG4', 'long4'],
  // protocol 3
  ['B', 'BINBYTES', 'ubytes4'], ['C', 'SHORT_BINBYTES', 'bytes1'],
  // protocol 4
  ['\x8c', 'SHORT_BINUNICODE', 'bytes1'], ['\x8d', 'BINUNICODE8', 'bytes8'], ['\x8e', 'BINBYTES8', 'bytes8'], ['\x8f', 'EMPTY_SET', 'none'],
  ['\x90', 'ADDITEMS', 'none'], ['\x91', 'FROZENSET', 'none'], ['\x92', 'NEWOBJ_EX', 'none'], ['\x93', 'STACK_GLOBAL', 'none'],
  ['\x94', 'MEMOIZE', 'none'], ['\x95', 'FRAME', 'u8'],
  // protocol 5
  ['\x96', 'BYTEARRAY8', 'bytes8'], ['\x97', 'NEXT_BUFFER', 'none'], ['\x98', 'READONLY_BUFFER', 'none'],
];

export const OPCODES: readonly (OpInfo | undefined)[] = (() => {
  const t: (OpInfo | undefined)[] = new Array(256).fill(undefined);
  for (const [ch, name, arg] of TABLE) t[ch.charCodeAt(0)] = { name, arg, width: fixedWidth(arg), prefix: prefixWidth(arg) };
  return t;
})();

export const PROTO = 0x80;
export const HIGHEST_PROTOCOL = 5;

/** Fixed argument width in bytes, or undefined for lines and length-prefixed payloads. */
export function fixedWidth(arg: ArgKind): number | undefined {
  switch (arg) {
    case 'none': return 0;
    case 'u1': return 1;
    case 'u2': return 2;
    case 'i4': case 'u4': return 4;
    case 'u8': case 'f8': return 8;
    default: return undefined;
  }
}

/** Width of the length prefix of a payload argument. */
export function prefixWidth(arg: ArgKind): number {
  switch (arg) {
    case 'bytes1': case 'long1': return 1;
    case 'bytes4': case 'ubytes4': case 'long4': return 4;
    case 'bytes8': return 8;
    default: return 0;
  }
}

/** A fixed-width argument; undefined for a u8 beyond 2^53. */
export function readFixed(b: Buffer, a: number, arg: ArgKind): number | undefined {
  switch (arg) {
    case 'u1': return b[a];
    case 'u2': return b.readUInt16LE(a);
    case 'i4': return b.readInt32LE(a);
    case 'u4': return b.readUInt32LE(a);
    case 'u8': { const v = b.readBigUInt64LE(a); return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined; }
    default: return undefined;
  }
}

/** The length prefix of a payload argument (negative for a negative i4: invalid). */
export function readLength(b: Buffer, a: number, arg: ArgKind): number | undefined {
  switch (arg) {
    case 'bytes1': case 'long1': return b[a];
    case 'bytes4': case 'long4': return b.readInt32LE(a);
    case 'ubytes4': return b.readUInt32LE(a);
    case 'bytes8': return readFixed(b, a, 'u8');
    default: return undefined;
  }
}
