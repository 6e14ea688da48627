/** Decoders for the text forms protocol-0 pickles use; nothing here evaluates anything. */

const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };

/** STRING opcode: a quoted Python 2 `repr` (then codecs.escape_decode); latin-1 result. Undefined when not quoted. */
export function decodeStringRepr(line: Buffer): string | undefined {
  const s = line.toString('latin1');
  if (s.length < 2 || s[0] !== s[s.length - 1] || (s[0] !== "'" && s[0] !== '"')) return undefined;
  const body = s.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\' || i === body.length - 1) {
      out += c;
      continue;
    }
    const n = body[++i];
    if (n in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[n];
    else if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out += String.fromCharCode(parseInt(m, 8) & 0xff);
      i += m.length - 1;
    } else out += `\\${n}`;
  }
  return out;
}

/** UNICODE opcode: 'raw-unicode-escape' — only \uXXXX and \UXXXXXXXX are escapes, everything else is latin-1. */
export function decodeRawUnicodeEscape(line: Buffer): string {
  const s = line.toString('latin1');
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (m, u4?: string, u8?: string) => {
    const cp = parseInt(u4 ?? u8 ?? '', 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

/** UTF-8 with U+FFFD for invalid sequences (such a name can only resolve to nothing). */
export function decodeUtf8(b: Buffer): string {
  return b.toString('utf8');
}

/** `int(line)` as Python parses memo keys of GET/PUT; undefined when not a plain decimal. */
export function parseDecimal(line: Buffer): number | undefined {
  const s = line.toString('latin1').trim();
  if (!/^[+-]?\d{1,15}$/.test(s)) return undefined;
  return Number(s);
}

/** Printable form of a name for reports: control characters escaped, length bounded. */
export function printable(s: string, max = 200): string {
  const t = s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
