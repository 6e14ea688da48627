// Paths inside a bundle must survive FAT32/exFAT/NTFS and must never escape the bundle.
const FORBIDDEN = /[<>:"|?*\\\x00-\x1f]/;
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** Returns why `rel` is not a safe bundle path, or null when it is. */
export function unsafePathReason(rel: string): string | null {
  if (rel.length === 0) return 'empty path';
  if (rel.length > 1024) return 'path longer than 1024 characters';
  if (rel.startsWith('/')) return 'absolute path';
  const parts = rel.split('/');
  for (const p of parts) {
    if (p === '' ) return 'empty path component';
    if (p === '.' || p === '..') return `"${p}" component`;
    if (FORBIDDEN.test(p)) return `component "${p}" has a character FAT/exFAT/NTFS reject`;
    if (RESERVED.test(p)) return `component "${p}" is a reserved device name on Windows`;
    if (p.endsWith('.') || p.endsWith(' ')) return `component "${p}" ends with a dot or space`;
    if (p.length > 255) return `component longer than 255 characters`;
  }
  return null;
}

export function isSafePath(rel: string): boolean {
  return unsafePathReason(rel) === null;
}

/** Directory name for a hub repo, e.g. `mistralai/Mistral-7B` → `mistralai--Mistral-7B`. */
export function modelDirName(repo: string): string {
  return repo.replace(/\//g, '--');
}
