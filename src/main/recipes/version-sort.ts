// Version order as GNU `sort -V` (gnulib filevercmp): what an operator gets from
// `skopeo list-tags … | sort --version-sort | tail -1`.

/** gnulib's order(): end -1, digit 0, letter itself, `~` below everything, other chars after letters. */
function order(s: string, i: number, len: number): number {
  if (i >= len) return -1;
  const c = s.charCodeAt(i);
  if (c >= 48 && c <= 57) return 0;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return c;
  if (c === 126) return -2;
  return c + 256;
}

const isDigit = (s: string, i: number): boolean => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;

/** Debian's verrevcmp on the prefixes a[0..alen) and b[0..blen). */
function verrevcmp(a: string, alen: number, b: string, blen: number): number {
  let i = 0;
  let j = 0;
  while (i < alen || j < blen) {
    let firstDiff = 0;
    while ((i < alen && !isDigit(a, i)) || (j < blen && !isDigit(b, j))) {
      const ac = order(a, i, alen);
      const bc = order(b, j, blen);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (i < alen && a[i] === '0') i++;
    while (j < blen && b[j] === '0') j++;
    while (i < alen && j < blen && isDigit(a, i) && isDigit(b, j)) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < alen && isDigit(a, i)) return 1;
    if (j < blen && isDigit(b, j)) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** Length of `s` without its file suffix (`(\.[A-Za-z~][A-Za-z0-9~]*)*$`), as filevercmp strips it. */
function prefixLength(s: string): number {
  const m = /(?:\.[A-Za-z~][A-Za-z0-9~]*)*$/.exec(s.slice(1));
  return m ? s.length - m[0].length : s.length;
}

/** Compares two strings as `sort -V` does (ties broken by plain byte order). */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return -1;
  if (b === '') return 1;
  const aDot = a.startsWith('.');
  const bDot = b.startsWith('.');
  if (aDot !== bDot) return aDot ? -1 : 1;
  const pa = prefixLength(a);
  const pb = prefixLength(b);
  const first = verrevcmp(a, pa, b, pb);
  const r = first || (pa === a.length && pb === b.length) ? first : verrevcmp(a, a.length, b, b.length);
  if (r) return r < 0 ? -1 : 1;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The newest of `tags` matching `pattern` in version order, or undefined. */
export function newestMatching(tags: readonly string[], pattern: RegExp): string | undefined {
  const matching = tags.filter((t) => pattern.test(t));
  return matching.sort(compareVersions).at(-1);
}
