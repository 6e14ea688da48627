import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface WalkEntry {
  path: string; // relative, '/'-separated
  size: number;
  kind: 'file' | 'symlink' | 'other';
}

/** Lists everything under `root` without following symlinks. */
export async function walk(root: string, rel = ''): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  const entries = await readdir(join(root, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(root, p)));
    else if (e.isFile()) out.push({ path: p, size: (await lstat(join(root, p))).size, kind: 'file' });
    else out.push({ path: p, size: 0, kind: e.isSymbolicLink() ? 'symlink' : 'other' });
  }
  return out;
}
