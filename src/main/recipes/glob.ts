// Include/exclude globs for model and folder files, matched against `/`-separated paths:
// `*` and `?` stay within one folder, `**` crosses folders (`**/x` also matches `x`),
// `[abc]` is a character class. A pattern without `/` matches the file name in any folder.

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  const hit = cache.get(glob);
  if (hit) return hit;
  const anywhere = !glob.includes('/');
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  const out = new RegExp(`^${anywhere ? '(?:.*/)?' : ''}${re}$`);
  cache.set(glob, out);
  return out;
}

/** Whether `path` passes the include (none: everything) and exclude globs. */
export function selectedByGlobs(path: string, include?: readonly string[], exclude?: readonly string[]): boolean {
  if (include?.length && !include.some((g) => globToRegExp(g).test(path))) return false;
  return !exclude?.some((g) => globToRegExp(g).test(path));
}
