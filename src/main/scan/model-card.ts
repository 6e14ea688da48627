import type { Licence } from './types';

export const MAX_MODEL_CARD_BYTES = 256 << 10;
const KEYS = ['license', 'license_name', 'license_link'] as const;
type Key = (typeof KEYS)[number];

/**
 * The licence from a Hugging Face model card's YAML front matter (`---` … `---` at the top of
 * README.md). A minimal, safe reader of three top-level keys — plain, quoted, flow-list or block-list
 * scalars — not a YAML implementation: nothing else in the front matter is interpreted.
 */
export function parseModelCardLicence(text: string, source = 'README.md'): Licence {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== '---') return { id: 'unknown', source: `${source} has no YAML front matter` };
  const end = lines.findIndex((l, i) => i > 0 && (l.trim() === '---' || l.trim() === '...'));
  if (end < 0) return { id: 'unknown', source: `${source} front matter is not closed` };
  const found: Partial<Record<Key, string>> = {};
  for (let i = 1; i < end; i++) {
    const m = /^([A-Za-z_][\w-]*)\s*:(.*)$/.exec(lines[i]);
    if (!m || !(KEYS as readonly string[]).includes(m[1])) continue;
    let value = scalar(m[2]);
    if (value === '') {
      const items: string[] = [];
      while (i + 1 < end && /^\s*-\s+/.test(lines[i + 1])) items.push(scalar(lines[++i].replace(/^\s*-\s+/, '')));
      value = items.filter(Boolean).join(' OR ');
    }
    if (value) found[m[1] as Key] = bound(value);
  }
  if (!found.license) return { id: 'unknown', source: `${source} front matter has no license` };
  return {
    id: found.license,
    ...(found.license_name ? { name: found.license_name } : {}),
    ...(found.license_link ? { link: found.license_link } : {}),
    source: `${source} front matter`,
  };
}

/** One YAML scalar: quotes removed, trailing comment dropped, flow list joined. */
function scalar(raw: string): string {
  let s = raw.trim();
  if (s.startsWith('"') || s.startsWith("'")) {
    const q = s[0];
    const close = s.indexOf(q, 1);
    return close > 0 ? s.slice(1, close) : s.slice(1);
  }
  s = s.replace(/\s+#.*$/, '').trim();
  if (s.startsWith('[') && s.endsWith(']')) {
    return s.slice(1, -1).split(',').map((x) => scalar(x)).filter(Boolean).join(' OR ');
  }
  return s;
}

function bound(s: string): string {
  const clean = s.replace(/[\x00-\x1f\x7f]/g, '');
  return clean.length > 512 ? `${clean.slice(0, 511)}…` : clean;
}
