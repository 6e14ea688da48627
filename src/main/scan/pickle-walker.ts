import * as opcodes from './pickle-opcodes';
import { decodeRawUnicodeEscape, decodeStringRepr, decodeUtf8, parseDecimal } from './pickle-strings';
import { PickleMachine } from './pickle-machine';

// Plain local bindings: the per-opcode loop must not go through module-export getters.
const { HIGHEST_PROTOCOL, OPCODES, PROTO, readFixed, readLength } = opcodes;

export type ImportOpcode = 'GLOBAL' | 'INST' | 'STACK_GLOBAL';
export type CallOpcode = 'REDUCE' | 'BUILD' | 'NEWOBJ' | 'NEWOBJ_EX' | 'OBJ' | 'INST';

/** One imported global; repeated imports of the same name are counted on the first (its opcode and offset). */
export interface PickleImport { module: string; name: string; opcode: ImportOpcode; offset: number; pickle: number; count: number }
/** Calls aggregated by opcode and callee (`module.name` when the callable is a resolved global). */
export interface PickleCall { opcode: CallOpcode; callee?: string; offset: number; count: number }
export interface PickleIssue { offset: number; detail: string; pickle: number }

export interface PickleScan {
  imports: PickleImport[];
  calls: PickleCall[];
  /** STACK_GLOBAL whose module or name is not a known string. */
  unresolved: PickleIssue[];
  /** EXT1/EXT2/EXT4 references to the copyreg extension registry. */
  extensions: PickleIssue[];
  /** PERSID (text persistent id), NEXT_BUFFER, READONLY_BUFFER: meaning set by the loader. */
  unsupported: PickleIssue[];
  errors: PickleIssue[];
  /** Records left out once a list reached `maxRecords`. */
  dropped: number;
  /** Pickles that reached STOP. */
  pickles: number;
  bytes: number;
  protocol?: number;
  tooLarge: boolean;
  /** Non-pickle bytes follow the last STOP (legacy PyTorch keeps raw storages there). */
  trailingData: boolean;
  /** Where those bytes start. */
  trailingOffset?: number;
}

export interface WalkerLimits {
  maxBytes: number;
  maxMemo: number;
  maxStack: number;
  /** Longer string payloads are stepped over, not kept (they cannot be sensible import names). */
  maxString: number;
  maxLine: number;
  maxRecords: number;
  /** Consecutive pickles walked (legacy PyTorch files hold five). */
  maxPickles: number;
  /** Total characters of strings kept on the symbolic stack and memo. */
  stringBudget: number;
}

export const DEFAULT_LIMITS: WalkerLimits = {
  maxBytes: 512 << 20, maxMemo: 1 << 20, maxStack: 1 << 20, maxString: 4096, maxLine: 64 << 10, maxRecords: 10_000, maxPickles: 16, stringBudget: 64 << 20,
};

/**
 * Walks pickle opcodes (protocols 0–5) symbolically, never executing anything. Feed it chunks with
 * `push`; it keeps only an incomplete trailing opcode between chunks and steps over large payloads
 * without buffering them, so memory stays bounded whatever the stream size. `done` turns true once
 * the walk stopped (last pickle over, fatal parse error, or size cap) and the caller can stop reading.
 */
export class PickleWalker {
  private buf: Buffer = Buffer.alloc(0);
  private base = 0;
  private skip = 0;
  private phase: 'start' | 'in' | 'between' | 'done' = 'start';
  private readonly limits: WalkerLimits;
  private readonly s: PickleMachine;
  private readonly callMap = new Map<string, PickleCall>();

  /** `totalSize`, when known, bounds every declared length against the bytes that remain. */
  constructor(limits: Partial<WalkerLimits> = {}, private readonly totalSize?: number) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    const out: PickleScan = { imports: [], calls: [], unresolved: [], extensions: [], unsupported: [], errors: [], dropped: 0, pickles: 0, bytes: 0, tooLarge: false, trailingData: false };
    this.s = new PickleMachine(out, this.limits, (op, callee, offset) => this.call(op, callee, offset));
  }

  get done(): boolean {
    return this.phase === 'done';
  }

  push(chunk: Buffer): void {
    if (this.done || chunk.length === 0) return;
    if (this.skip > 0) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      this.base += n;
      chunk = chunk.subarray(n);
      if (this.base >= this.limits.maxBytes) {
        this.s.out.tooLarge = true;
        this.phase = 'done';
        return;
      }
      if (chunk.length === 0) return;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let p = 0;
    while (p < this.buf.length && !this.done) {
      if (this.base + p >= this.limits.maxBytes) {
        this.s.out.tooLarge = true;
        this.phase = 'done';
        break;
      }
      if (this.phase === 'between') {
        if (this.buf.length - p < 2) break;
        if (this.buf[p] === PROTO && this.buf[p + 1] <= HIGHEST_PROTOCOL && this.s.out.pickles < this.limits.maxPickles) {
          this.s.reset(this.s.out.pickles);
          this.phase = 'in';
        } else {
          this.s.out.trailingData = true;
          this.s.out.trailingOffset = this.base + p;
          this.phase = 'done';
          break;
        }
      }
      const next = this.step(p);
      if (next < 0) break;
      p = next;
    }
    this.base += p;
    this.buf = this.buf.subarray(p);
  }

  end(): PickleScan {
    const out = this.s.out;
    if (!this.done) {
      const at = this.base + this.buf.length + this.skip;
      if (this.phase === 'start') this.fatal(at, 'empty: no pickle opcodes');
      else if (this.phase === 'in') this.fatal(at, `truncated: the stream ends at offset ${this.base + this.buf.length} inside a pickle (no STOP opcode)`);
      else if (this.buf.length > 0) [out.trailingData, out.trailingOffset] = [true, this.base];
      this.phase = 'done';
    }
    out.bytes = this.base + this.buf.length;
    out.calls = [...this.callMap.values()];
    this.buf = Buffer.alloc(0);
    return out;
  }

  /** Decodes and applies one opcode at `p`; returns the next position, or -1 when more bytes are needed. */
  private step(p: number): number {
    const b = this.buf;
    const off = this.base + p;
    const info = OPCODES[b[p]];
    if (!info) return this.fatal(off, `unknown opcode 0x${b[p].toString(16).padStart(2, '0')}`);
    if (this.phase === 'start') this.phase = 'in';
    const a = p + 1;
    const w = info.width;
    if (w !== undefined) {
      if (a + w > b.length) return -1;
      this.s.apply(info.name, off, readFixed(b, a, info.arg));
      return this.afterOp(a + w);
    }
    if (info.arg === 'line' || info.arg === 'line2') {
      const nl1 = this.findNewline(a);
      if (nl1 < 0) return nl1 === -2 ? this.fatalLong(off, info.name) : -1;
      let end = nl1 + 1;
      let second: Buffer | undefined;
      if (info.arg === 'line2') {
        const nl2 = this.findNewline(end);
        if (nl2 < 0) return nl2 === -2 ? this.fatalLong(off, info.name) : -1;
        second = b.subarray(end, nl2);
        end = nl2 + 1;
      }
      const line = b.subarray(a, nl1);
      if (info.arg === 'line2') this.s.apply(info.name, off, [decodeUtf8(line), decodeUtf8(second!)]);
      else if (info.name === 'STRING') {
        const v = decodeStringRepr(line);
        if (v === undefined) this.s.noteError(off, 'STRING argument is not quoted');
        this.s.apply(info.name, off, v);
      } else if (info.name === 'UNICODE') this.s.apply(info.name, off, decodeRawUnicodeEscape(line));
      else this.s.apply(info.name, off, parseDecimal(line));
      return this.afterOp(end);
    }
    const pw = info.prefix;
    if (a + pw > b.length) return -1;
    const len = readLength(b, a, info.arg);
    if (len === undefined || len < 0) return this.fatal(off, `${info.name} has an invalid length`);
    const start = a + pw;
    if (this.totalSize !== undefined && this.base + start + len > this.totalSize) {
      return this.fatal(off, `truncated or corrupt: ${info.name} declares ${len} bytes but only ${Math.max(0, this.totalSize - this.base - start)} remain`);
    }
    if (len > this.limits.maxString || info.arg === 'long1' || info.arg === 'long4') {
      this.s.apply(info.name, off, undefined);
      if (start + len <= b.length) return this.afterOp(start + len);
      this.skip = start + len - b.length;
      return this.afterOp(b.length);
    }
    if (start + len > b.length) return -1;
    const payload = b.subarray(start, start + len);
    const text = info.name === 'BINSTRING' || info.name === 'SHORT_BINSTRING' ? payload.toString('latin1') : /UNICODE/.test(info.name) ? decodeUtf8(payload) : undefined;
    this.s.apply(info.name, off, text);
    return this.afterOp(start + len);
  }

  private afterOp(next: number): number {
    if (this.s.stopped) {
      this.s.stopped = false;
      this.phase = 'between';
    }
    return next;
  }

  /** Index of the next '\n' from `from`; -1 when more bytes may bring it, -2 when the line is too long. */
  private findNewline(from: number): number {
    const limit = Math.min(this.buf.length, from + this.limits.maxLine + 1);
    const i = this.buf.indexOf(0x0a, from);
    if (i >= 0 && i < limit) return i;
    return this.buf.length - from > this.limits.maxLine ? -2 : -1;
  }

  private fatalLong(off: number, op: string): number {
    return this.fatal(off, `${op} argument line is longer than ${this.limits.maxLine} bytes`);
  }

  private fatal(off: number, detail: string): number {
    this.s.noteError(off, detail, true);
    this.phase = 'done';
    return -1;
  }

  private call(opcode: CallOpcode, callee: string | undefined, offset: number): void {
    const key = `${opcode}\0${callee ?? ''}`;
    const c = this.callMap.get(key);
    if (c) c.count++;
    else if (this.callMap.size < this.limits.maxRecords) this.callMap.set(key, { opcode, ...(callee ? { callee } : {}), offset, count: 1 });
    else this.s.out.dropped++;
  }
}

/** Walks a complete in-memory pickle stream. */
export function walkPickle(data: Buffer, limits: Partial<WalkerLimits> = {}): PickleScan {
  const w = new PickleWalker(limits, data.length);
  w.push(data);
  return w.end();
}
