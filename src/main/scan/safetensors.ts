import type { ReadableFile } from './file-source';
import { printable } from './pickle-strings';
import { finding, type RuleId } from './rules';
import { parseStrictJson, StrictJsonError } from './strict-json';
import type { Finding } from './types';

/** Bits per element of every safetensors dtype (sub-byte float formats included). */
export const SAFETENSORS_DTYPE_BITS: Record<string, number> = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32, F64: 64, I64: 64, U64: 64, C64: 64, F4: 4, F6_E2M3: 6, F6_E3M2: 6,
};

export const MAX_HEADER_BYTES = 100 << 20;
const MAX_PER_RULE = 20;

export interface SafetensorsResult {
  findings: Finding[];
  /** Set when the file is really a pickle or zip: the caller scans it as one. */
  disguisedAs?: 'pickle' | 'zip';
  headerBytes: number;
  tensors: number;
  metadata?: Record<string, string>;
  /** Elements by dtype, over entries whose dtype and shape are valid. */
  parameters: Record<string, number>;
  /** Bytes of tensor data by dtype. */
  weightBytes: Record<string, number>;
}

interface Tensor { name: string; begin: number; end: number }

/**
 * Validates a safetensors file from its 8-byte length and JSON header only; tensor data is never read.
 * A file whose bytes 0–7 form a plausible header length followed by '{' is treated as safetensors, so a
 * legitimate length whose low byte is 0x80 is not mistaken for a pickle.
 */
export async function scanSafetensors(file: ReadableFile, rel: string, opts: { maxHeaderBytes?: number } = {}): Promise<SafetensorsResult> {
  const r: SafetensorsResult = { findings: [], headerBytes: 0, tensors: 0, parameters: {}, weightBytes: {} };
  const counts = new Map<RuleId, number>();
  const add = (rule: RuleId, detail: string): void => {
    const n = (counts.get(rule) ?? 0) + 1;
    counts.set(rule, n);
    if (n <= MAX_PER_RULE) r.findings.push(finding(rel, rule, detail));
  };
  const max = opts.maxHeaderBytes ?? MAX_HEADER_BYTES;
  const head = await file.read(0, 9);
  const n = head.length >= 8 ? head.readBigUInt64LE(0) : -1n;
  const plausible = n >= 2n && n <= BigInt(Math.min(max, file.size - 8)) && head[8] === 0x7b;
  if (!plausible) {
    if (head.length >= 3 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) r.disguisedAs = 'pickle';
    else if (head.subarray(0, 4).toString('latin1') === 'PK\x03\x04') r.disguisedAs = 'zip';
    if (r.disguisedAs) add('safetensors.disguised-pickle', `starts with ${r.disguisedAs} magic (${head.subarray(0, 4).toString('hex')}), not a safetensors header`);
    else if (n < 0n) add('safetensors.header', `the file is ${file.size} bytes; it cannot hold the 8-byte header length`);
    else if (n > BigInt(max)) add('safetensors.header', `header length ${n} is larger than the ${max}-byte limit`);
    else if (n > BigInt(file.size - 8)) add('safetensors.header', `header length ${n} runs past the end of the file (${file.size} bytes)`);
    else add('safetensors.header', 'the header does not start with {');
    return r;
  }
  const len = Number(n);
  r.headerBytes = len;
  const dataLen = file.size - 8 - len;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await file.read(8, len));
  } catch {
    add('safetensors.header', 'the header is not valid UTF-8');
    return r;
  }
  let parsed;
  try {
    parsed = parseStrictJson(text.replace(/ +$/, ''));
  } catch (err) {
    if (!(err instanceof StrictJsonError)) throw err;
    add('safetensors.header', `the header is not valid JSON: ${err.message}`);
    return r;
  }
  for (const d of parsed.duplicates) add('safetensors.duplicate-key', `key ${printable(d)} appears more than once`);
  const root = parsed.value;
  if (!isObject(root)) {
    add('safetensors.header', 'the header is not a JSON object');
    return r;
  }
  const tensors: Tensor[] = [];
  for (const [name, v] of Object.entries(root)) {
    const shown = printable(name);
    if (name === '__metadata__') {
      readMetadata(v, r, add);
      continue;
    }
    r.tensors++;
    if (!isObject(v) || typeof v.dtype !== 'string' || !isIntArray(v.shape) || !isIntArray(v.data_offsets) || v.data_offsets.length !== 2 || v.data_offsets[0] > v.data_offsets[1]) {
      add('safetensors.bad-entry', `tensor ${shown}: needs dtype (string), shape (non-negative integers) and data_offsets [begin, end] with begin ≤ end`);
      continue;
    }
    const [begin, end] = v.data_offsets;
    tensors.push({ name: shown, begin, end });
    if (end > dataLen) add('safetensors.out-of-bounds', `tensor ${shown}: data_offsets [${begin}, ${end}] run past the end of the file: the data section holds ${dataLen} bytes (file ${file.size} bytes, header ${len})`);
    const bits = SAFETENSORS_DTYPE_BITS[v.dtype];
    if (bits === undefined) {
      add('safetensors.unknown-dtype', `tensor ${shown}: dtype ${printable(v.dtype, 32)}`);
      continue;
    }
    const numel = v.shape.reduce((a, d) => a * BigInt(d), 1n);
    const needBits = numel * BigInt(bits);
    if (needBits !== BigInt(end - begin) * 8n) {
      add('safetensors.size-mismatch', `tensor ${shown}: ${v.dtype} [${v.shape.join(', ')}] needs ${needBits % 8n ? `${needBits} bits` : `${needBits / 8n} bytes`}, data_offsets [${begin}, ${end}] hold ${end - begin}`);
      continue;
    }
    r.parameters[v.dtype] = (r.parameters[v.dtype] ?? 0) + Number(numel);
    r.weightBytes[v.dtype] = (r.weightBytes[v.dtype] ?? 0) + (end - begin);
  }
  checkLayout(tensors, dataLen, add);
  for (const [rule, c] of counts) if (c > MAX_PER_RULE) r.findings.push(finding(rel, rule, `and ${c - MAX_PER_RULE} more like this`));
  return r;
}

function checkLayout(tensors: Tensor[], dataLen: number, add: (rule: RuleId, detail: string) => void): void {
  const sorted = tensors.filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin || a.end - b.end);
  let reach = 0;
  let owner: Tensor | undefined;
  let gaps = 0;
  let gapBytes = 0;
  for (const t of sorted) {
    if (owner && t.begin < reach) add('safetensors.overlap', `tensor ${t.name} [${t.begin}, ${t.end}] overlaps ${owner.name} [${owner.begin}, ${owner.end}]`);
    else if (t.begin > reach) {
      gaps++;
      gapBytes += t.begin - reach;
    }
    if (t.end > reach) {
      reach = t.end;
      owner = t;
    }
  }
  const trailing = Math.max(0, dataLen - reach);
  if (gaps || trailing) {
    add('safetensors.gap', `${gaps} gap(s) of ${gapBytes} bytes between tensors${trailing ? `; ${trailing} bytes after the last tensor` : ''}`);
  }
}

function readMetadata(v: unknown, r: SafetensorsResult, add: (rule: RuleId, detail: string) => void): void {
  if (!isObject(v) || !Object.values(v).every((x) => typeof x === 'string')) {
    add('safetensors.bad-metadata', '__metadata__ is not an object of string values');
    return;
  }
  const entries = Object.entries(v as Record<string, string>).slice(0, 64);
  r.metadata = Object.fromEntries(entries.map(([k, x]) => [printable(k, 64), printable(x, 256)]));
  if (entries.length) add('safetensors.metadata', entries.map(([k, x]) => `${printable(k, 64)}=${printable(x, 120)}`).join('; '));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isIntArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.length <= 64 && v.every((x) => Number.isSafeInteger(x) && (x as number) >= 0);
}
