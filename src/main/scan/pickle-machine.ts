import type { CallOpcode, PickleImport, PickleScan, WalkerLimits } from './pickle-walker';
import { printable } from './pickle-strings';

/** What the symbolic stack knows about a value: only strings and imported globals matter. */
export type PValue = { k: 'str'; v: string } | { k: 'global'; module: string; name: string; full: string } | { k: 'mark' } | { k: 'other' };

const OTHER: PValue = { k: 'other' };
const MARK: PValue = { k: 'mark' };

/** Opcodes that push one opaque value and consume nothing. */
const PUSH_OTHER = new Set(['FLOAT', 'INT', 'BININT', 'BININT1', 'LONG', 'BININT2', 'NONE', 'BINFLOAT', 'NEWTRUE', 'NEWFALSE', 'LONG1', 'LONG4', 'EMPTY_DICT', 'EMPTY_LIST', 'EMPTY_TUPLE', 'EMPTY_SET', 'BINBYTES', 'SHORT_BINBYTES', 'BINBYTES8', 'BYTEARRAY8']);
const PUSH_STRING = new Set(['STRING', 'BINSTRING', 'SHORT_BINSTRING', 'UNICODE', 'BINUNICODE', 'SHORT_BINUNICODE', 'BINUNICODE8']);

/**
 * The symbolic unpickler: a stack and memo of PValues, mirroring CPython's _pickle semantics closely
 * enough to resolve GLOBAL / INST / STACK_GLOBAL and to attribute REDUCE, BUILD, NEWOBJ and OBJ calls.
 * Semantic errors (underflow, missing memo keys) are recorded and the walk continues.
 */
export class PickleMachine {
  stack: PValue[] = [];
  /** Memo entries that matter (strings and globals); other values are only marked as defined. */
  memo = new Map<number, PValue>();
  /** Defined memo keys: all of [0, below) plus `extra` (CPython's pickler numbers them 0, 1, 2, …). */
  private below = 0;
  private extra = new Set<number>();
  pickle = 0;
  /** After a resource cap dropped symbolic state, underflow and memo misses are expected and not reported. */
  degraded = false;
  stopped = false;
  private stringChars = 0;
  private readonly noted = new Set<string>();
  private readonly importIndex = new Map<string, PickleImport>();

  constructor(
    readonly out: PickleScan,
    private readonly limits: WalkerLimits,
    private readonly onCall: (op: CallOpcode, callee: string | undefined, offset: number) => void,
  ) {}

  apply(op: string, off: number, arg: unknown): void {
    if (PUSH_OTHER.has(op)) return this.push(OTHER);
    if (PUSH_STRING.has(op)) return this.push(typeof arg === 'string' ? this.str(arg) : OTHER);
    switch (op) {
      case 'MARK': return this.push(MARK);
      case 'STOP': this.pop(off); this.out.pickles++; this.stopped = true; return;
      case 'POP': this.pop(off); return;
      case 'POP_MARK': case 'APPENDS': case 'SETITEMS': case 'ADDITEMS': this.popMark(off); return;
      case 'DUP': return this.push(this.top(off));
      case 'BINPERSID': this.pop(off); return this.push(OTHER);
      case 'FRAME': return;
      case 'PERSID': case 'NEXT_BUFFER': case 'READONLY_BUFFER':
        // The loader decides what these become (persistent_load, out-of-band buffers); weights_only refuses them.
        this.record(this.out.unsupported, { offset: off, pickle: this.pickle, detail: `${op} at offset ${off}` });
        if (op !== 'READONLY_BUFFER') this.push(OTHER);
        return;
      case 'APPEND': this.pop(off); return;
      case 'SETITEM': this.pop(off); this.pop(off); return;
      case 'DICT': case 'LIST': case 'TUPLE': case 'FROZENSET': this.popMark(off); return this.push(OTHER);
      case 'TUPLE1': case 'TUPLE2': case 'TUPLE3': for (let i = Number(op[5]); i > 0; i--) this.pop(off); return this.push(OTHER);
      case 'REDUCE': this.pop(off); this.call('REDUCE', this.pop(off), off); return this.push(OTHER);
      case 'NEWOBJ': this.pop(off); this.call('NEWOBJ', this.pop(off), off); return this.push(OTHER);
      case 'NEWOBJ_EX': this.pop(off); this.pop(off); this.call('NEWOBJ_EX', this.pop(off), off); return this.push(OTHER);
      case 'BUILD': this.pop(off); this.call('BUILD', this.top(off), off); return;
      case 'OBJ': this.call('OBJ', this.popMark(off)[0] ?? OTHER, off); return this.push(OTHER);
      case 'GLOBAL': case 'INST': {
        const [module, name] = arg as [string, string];
        const g = this.importGlobal(module, name, op, off);
        if (op === 'GLOBAL') return this.push(g);
        this.popMark(off);
        this.call('INST', g, off);
        return this.push(OTHER);
      }
      case 'STACK_GLOBAL': {
        const name = this.pop(off);
        const module = this.pop(off);
        if (module.k === 'str' && name.k === 'str') return this.push(this.importGlobal(module.v, name.v, 'STACK_GLOBAL', off));
        this.record(this.out.unresolved, { offset: off, pickle: this.pickle, detail: `STACK_GLOBAL at offset ${off} on ${describe(module)} and ${describe(name)}` });
        return this.push(OTHER);
      }
      case 'GET': case 'BINGET': case 'LONG_BINGET': return this.push(this.get(arg, off));
      case 'PUT': case 'BINPUT': case 'LONG_BINPUT': return this.put(arg, off);
      case 'MEMOIZE': return this.put(this.below + this.extra.size, off);
      case 'PROTO': {
        const v = arg as number;
        this.out.protocol = Math.max(this.out.protocol ?? 0, v);
        if (v > 5) this.noteError(off, `unsupported protocol ${v}`);
        return;
      }
      case 'EXT1': case 'EXT2': case 'EXT4':
        this.record(this.out.extensions, { offset: off, pickle: this.pickle, detail: `${op} code ${String(arg)} at offset ${off}` });
        return this.push(OTHER);
      default: this.noteError(off, `opcode ${op} not modelled`);
    }
  }

  noteError(offset: number, detail: string, fatal = false): void {
    if (this.degraded && !fatal) return;
    this.record(this.out.errors, { offset, pickle: this.pickle, detail: `offset ${offset}: ${detail}` });
  }

  private importGlobal(module: string, name: string, opcode: 'GLOBAL' | 'INST' | 'STACK_GLOBAL', offset: number): PValue {
    const key = `${module}\0${name}`;
    const seen = this.importIndex.get(key);
    if (seen) seen.count++;
    else if (this.out.imports.length < this.limits.maxRecords) {
      const imp: PickleImport = { module: printable(module, 512), name: printable(name, 512), opcode, offset, pickle: this.pickle, count: 1 };
      this.out.imports.push(imp);
      this.importIndex.set(key, imp);
    } else this.out.dropped++;
    return { k: 'global', module, name, full: printable(`${module}.${name}`, 512) };
  }

  private call(op: CallOpcode, f: PValue, off: number): void {
    this.onCall(op, f.k === 'global' ? f.full : undefined, off);
  }

  private str(v: string): PValue {
    this.stringChars += v.length;
    if (this.stringChars <= this.limits.stringBudget) return { k: 'str', v };
    this.noteOnce('strings', 0, `more than ${this.limits.stringBudget} characters of strings; later strings are not tracked`);
    return OTHER;
  }

  private push(v: PValue): void {
    if (this.stack.length >= this.limits.maxStack) {
      this.noteOnce('stack', 0, `stack deeper than ${this.limits.maxStack} entries; symbolic state dropped, later STACK_GLOBAL names may be unresolvable`);
      this.stack = [];
      this.memo.clear();
      this.degraded = true;
    }
    this.stack.push(v);
  }

  private top(off: number): PValue {
    const v = this.stack[this.stack.length - 1];
    if (v === undefined || v.k === 'mark') {
      this.noteError(off, 'stack underflow');
      return OTHER;
    }
    return v;
  }

  private pop(off: number): PValue {
    const v = this.stack[this.stack.length - 1];
    if (v === undefined || v.k === 'mark') {
      this.noteError(off, 'stack underflow');
      return OTHER;
    }
    this.stack.pop();
    return v;
  }

  private popMark(off: number): PValue[] {
    const i = this.stack.lastIndexOf(MARK);
    if (i < 0) {
      this.noteError(off, 'no MARK on the stack');
      return [];
    }
    return this.stack.splice(i).slice(1);
  }

  /** A new pickle: fresh stack and memo. */
  reset(pickle: number): void {
    this.pickle = pickle;
    this.stack = [];
    this.memo = new Map();
    this.below = 0;
    this.extra = new Set();
    this.degraded = false;
  }

  private get(key: unknown, off: number): PValue {
    if (typeof key !== 'number') return this.noteError(off, 'invalid memo key'), OTHER;
    const v = this.memo.get(key);
    if (v === undefined && key >= this.below && !this.extra.has(key)) this.noteError(off, `memo key ${key} is not defined`);
    return v ?? OTHER;
  }

  private put(key: unknown, off: number): void {
    if (typeof key !== 'number') return this.noteError(off, 'invalid memo key');
    const v = this.top(off);
    const redefined = key < this.below || this.extra.has(key);
    if (key === this.below) {
      this.below++;
      while (this.extra.delete(this.below)) this.below++;
    } else if (key > this.below && !this.extra.has(key)) {
      if (this.extra.size >= this.limits.maxMemo) return this.memoFull(off);
      this.extra.add(key);
    }
    if (v.k !== 'str' && v.k !== 'global') {
      if (redefined) this.memo.delete(key); // CPython's pickler never reuses a key; only crafted pickles pay for this
    } else if (this.memo.size < this.limits.maxMemo || this.memo.has(key)) this.memo.set(key, v);
    else this.memoFull(off);
  }

  private memoFull(off: number): void {
    this.noteOnce('memo', off, `memo larger than ${this.limits.maxMemo} entries; later entries are not tracked`);
    this.degraded = true;
  }

  private noteOnce(key: string, off: number, detail: string): void {
    if (this.noted.has(key)) return;
    this.noted.add(key);
    this.record(this.out.errors, { offset: off, pickle: this.pickle, detail });
  }

  private record<T>(list: T[], item: T): void {
    if (list.length < this.limits.maxRecords) list.push(item);
    else this.out.dropped++;
  }
}

function describe(v: PValue): string {
  if (v.k === 'str') return `'${printable(v.v, 80)}'`;
  if (v.k === 'global') return `the object ${printable(`${v.module}.${v.name}`, 80)}`;
  return v.k === 'mark' ? 'a MARK' : 'a computed value';
}
