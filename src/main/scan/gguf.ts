import type { ReadableFile } from './file-source';
import { throwIfAborted } from './file-source';
import { printable } from './pickle-strings';
import { finding } from './rules';
import type { Finding } from './types';

/**
 * GGUF (llama.cpp, Ollama) metadata: weights are data, but `tokenizer.chat_template` is a Jinja2
 * program the server renders on every request. The template is shown to the reviewer, and templates
 * that reach Python object internals (the sandbox-escape technique) block.
 */
export const GGUF_LIMITS = { maxKv: 1_000_000, maxString: 64 << 20, maxMetadataBytes: 512 << 20, shownTemplate: 1800 };

/** Patterns that reach Python internals from a Jinja2 template. */
const ESCAPES: [RegExp, string][] = [
  [/__[A-Za-z0-9_]+__/, 'a dunder attribute'],
  [/\.\s*mro\b|\bmro\s*\(/, 'the MRO'],
  [/\|\s*attr\s*\(/, 'the |attr filter'],
  [/\bfunc_globals\b|\bf_globals\b|\bgi_frame\b|\bcr_frame\b|\btb_frame\b|\bf_back\b/, 'frame or globals internals'],
  [/\\x5f\\x5f|\\u005f\\u005f|\[\s*['"]_['"]\s*\*\s*2\s*\]/, 'an escaped double underscore'],
];

class GgufError extends Error {}

class Reader {
  private buf: Buffer = Buffer.alloc(0);
  private at = 0;
  pos = 0;
  constructor(
    private readonly file: ReadableFile,
    private readonly signal?: AbortSignal,
  ) {}
  async need(n: number): Promise<void> {
    if (this.pos + n > this.file.size) throw new GgufError(`truncated: needs ${n} bytes at offset ${this.pos}, the file is ${this.file.size} bytes`);
    if (this.pos + n > GGUF_LIMITS.maxMetadataBytes) throw new GgufError(`metadata larger than ${GGUF_LIMITS.maxMetadataBytes} bytes`);
    if (this.pos >= this.at && this.pos + n <= this.at + this.buf.length) return;
    throwIfAborted(this.signal);
    this.at = this.pos;
    this.buf = await this.file.read(this.pos, Math.max(n, 1 << 20));
  }
  async bytes(n: number): Promise<Buffer> {
    await this.need(n);
    const b = this.buf.subarray(this.pos - this.at, this.pos - this.at + n);
    this.pos += n;
    return b;
  }
  async u32(): Promise<number> {
    return (await this.bytes(4)).readUInt32LE(0);
  }
  async u64(): Promise<number> {
    const v = (await this.bytes(8)).readBigUInt64LE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufError(`length ${v} at offset ${this.pos - 8} is out of range`);
    return Number(v);
  }
  async str(): Promise<string> {
    const n = await this.u64();
    if (n > GGUF_LIMITS.maxString) throw new GgufError(`string of ${n} bytes at offset ${this.pos - 8} is longer than ${GGUF_LIMITS.maxString}`);
    return (await this.bytes(n)).toString('utf8');
  }
  async skip(n: number): Promise<void> {
    if (this.pos + n > this.file.size) throw new GgufError(`truncated: a value of ${n} bytes at offset ${this.pos} runs past the end of the file`);
    this.pos += n;
  }
}

const FIXED: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;

export async function scanGguf(file: ReadableFile, rel: string, signal?: AbortSignal): Promise<Finding[]> {
  const r = new Reader(file, signal);
  const out: Finding[] = [];
  try {
    await r.skip(4);
    const version = await r.u32();
    if (version !== 2 && version !== 3) throw new GgufError(`version ${version}; the scanner reads versions 2 and 3`);
    await r.u64(); // tensor count
    const kvs = await r.u64();
    if (kvs > GGUF_LIMITS.maxKv) throw new GgufError(`${kvs} metadata entries is more than ${GGUF_LIMITS.maxKv}`);
    for (let i = 0; i < kvs; i++) {
      const key = await r.str();
      const type = await r.u32();
      if (type === STRING) {
        const value = await r.str();
        if (key === 'tokenizer.chat_template' || key.startsWith('tokenizer.chat_template.')) out.push(...templateFindings(rel, key, value));
      } else if (type === ARRAY) {
        const inner = await r.u32();
        const n = await r.u64();
        if (inner === STRING) for (let j = 0; j < n; j++) await r.skip(await r.u64());
        else if (FIXED[inner] !== undefined) await r.skip(n * FIXED[inner]);
        else throw new GgufError(`metadata ${printable(key, 80)}: array of unknown type ${inner}`);
      } else if (FIXED[type] !== undefined) await r.skip(FIXED[type]);
      else throw new GgufError(`metadata ${printable(key, 80)}: unknown value type ${type}`);
    }
  } catch (err) {
    if (!(err instanceof GgufError)) throw err;
    out.push(finding(rel, 'gguf.bad-header', err.message));
  }
  return out;
}

function templateFindings(rel: string, key: string, template: string): Finding[] {
  const shown = template.length > GGUF_LIMITS.shownTemplate ? `${template.slice(0, GGUF_LIMITS.shownTemplate)}… (${template.length} characters)` : template;
  const out = [finding(rel, 'gguf.chat-template', `${key}:\n${shown}`)];
  for (const [re, what] of ESCAPES) {
    const m = re.exec(template);
    if (m) out.push(finding(rel, 'gguf.template-escape', `${key} reaches ${what} at character ${m.index}: …${printable(template.slice(Math.max(0, m.index - 80), m.index + 120), 240)}…`));
  }
  return out;
}
