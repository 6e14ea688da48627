/**
 * A strict JSON (RFC 8259) parser that, unlike JSON.parse, reports duplicate object keys: different
 * parsers keep different copies, so a duplicate lets a file show one thing to a reviewer and another
 * to the loader. Keeps the last value, as JSON.parse does. Depth is bounded; no prototype is touched.
 */
export class StrictJsonError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = 'StrictJsonError';
  }
}

export interface StrictJsonResult {
  value: unknown;
  /** JSON-pointer-like paths of keys that appear more than once in their object (at most `maxDuplicates`). */
  duplicates: string[];
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;

export function parseStrictJson(text: string, opts: { maxDepth?: number; maxDuplicates?: number } = {}): StrictJsonResult {
  const maxDepth = opts.maxDepth ?? 64;
  const maxDuplicates = opts.maxDuplicates ?? 100;
  const duplicates: string[] = [];
  let i = 0;

  const ws = (): void => {
    WS.lastIndex = i;
    WS.exec(text);
    i = WS.lastIndex;
  };
  const fail = (msg: string): never => {
    throw new StrictJsonError(msg, i);
  };

  const string = (): string => {
    const start = i;
    i++;
    for (;;) {
      const q = text.indexOf('"', i);
      if (q < 0) fail('unterminated string');
      let bs = 0;
      for (let k = q - 1; k >= i && text.charCodeAt(k) === 0x5c; k--) bs++;
      i = q + 1;
      if (bs % 2 === 0) break;
    }
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      i = start;
      return fail('invalid string');
    }
  };

  const value = (depth: number, path: string): unknown => {
    if (depth > maxDepth) fail(`nesting deeper than ${maxDepth}`);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      const keys = new Set<string>();
      ws();
      if (text[i] === '}') return i++, obj;
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a string key');
        const key = string();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        const v = value(depth + 1, `${path}/${key}`);
        if (keys.has(key)) {
          if (duplicates.length < maxDuplicates) duplicates.push(`${path}/${key}`);
        } else keys.add(key);
        Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return i++, obj;
        else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') return i++, arr;
      for (;;) {
        arr.push(value(depth + 1, `${path}/${arr.length}`));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return i++, arr;
        else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    for (const [lit, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(lit, i)) return (i += lit.length), v;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail('unexpected character');
    i = NUMBER.lastIndex;
    return Number(m[0]);
  };

  const v = value(0, '');
  ws();
  if (i !== text.length) fail('unexpected data after the JSON value');
  return { value: v, duplicates };
}
