import { readFileSync } from 'node:fs';
import { lstat, opendir, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { BrowseEntry, BrowseView } from '../../shared/channels/operator';
import { UsageError } from '../../shared/errors';

// The headless folder picker's server side: lists folders under the user's home and mounted
// media, and nothing else. Every path is resolved (symlinks, `..`) before it is checked against
// the roots; entries are described by lstat only (name, kind, size), never opened or read.

/** At most this many entries are listed per folder (folders first, then by name). */
export const MAX_BROWSE_ENTRIES = 2000;
/** Where removable and loop media are mounted on Linux desktops and servers. */
const MEDIA_PARENTS = ['/media/', '/run/media/', '/mnt/'];

export interface BrowseRoot {
  label: string;
  path: string;
}

/** Mount points under /media, /run/media or /mnt, from the text of /proc/self/mountinfo. */
export function mediaMounts(mountinfo: string): string[] {
  const out = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (!mountPoint) continue;
    const path = mountPoint.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
    if (MEDIA_PARENTS.some((p) => path.startsWith(p))) out.add(path);
  }
  return [...out].sort();
}

/**
 * Where browsing may go: FERRY_BROWSE_ROOTS (absolute paths separated by `:`) when set, else the
 * user's home and every media mount. Roots that do not exist are dropped by `browse`.
 */
export function browseRoots(env: NodeJS.ProcessEnv = process.env, readMountinfo: () => string = readOwnMountinfo): BrowseRoot[] {
  const configured = env.FERRY_BROWSE_ROOTS;
  if (configured !== undefined && configured.trim() !== '') {
    const paths = configured.split(delimiter).map((p) => p.trim()).filter(Boolean);
    const bad = paths.find((p) => !isAbsolute(p));
    if (bad) throw new UsageError(`FERRY_BROWSE_ROOTS: "${bad}" is not an absolute path.`, 'List absolute folder paths separated by ":".');
    return paths.map((p) => ({ label: basename(p) || p, path: resolve(p) }));
  }
  return [{ label: 'Home', path: homedir() }, ...mediaMounts(readMountinfo()).map((p) => ({ label: basename(p), path: p }))];
}

function readOwnMountinfo(): string {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return ''; // not Linux: home only
  }
}

/** The roots that exist, as real paths (a root that is itself a symlink counts as where it points). */
async function realRoots(roots: BrowseRoot[]): Promise<BrowseRoot[]> {
  const out: BrowseRoot[] = [];
  for (const r of roots) {
    try {
      const path = await realpath(r.path);
      if ((await stat(path)).isDirectory() && !out.some((o) => o.path === path)) out.push({ label: r.label, path });
    } catch {
      // a root that is gone (an unplugged medium) is simply not offered
    }
  }
  return out;
}

const inside = (path: string, root: string): boolean => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/** The root holding `path` (already real), or undefined. The innermost wins (a mount inside home). */
function rootOf(path: string, roots: BrowseRoot[]): BrowseRoot | undefined {
  return roots.filter((r) => inside(path, r.path)).sort((a, b) => b.path.length - a.path.length)[0];
}

/** Lists one folder under the roots; no path = the first root. Refuses anything outside them, symlinks out included. */
export async function browse(req: { path?: string; dirsOnly?: boolean }, configured: BrowseRoot[] = browseRoots()): Promise<BrowseView> {
  const roots = await realRoots(configured);
  if (roots.length === 0) throw new UsageError('There is no folder to browse: neither the home folder nor any mounted medium exists.', 'Type the path instead, or set FERRY_BROWSE_ROOTS.');
  const asked = req.path?.trim() || roots[0]!.path;
  if (!isAbsolute(asked)) throw new UsageError(`"${asked}" is not an absolute path.`, 'Pick a folder from the list, or type a path starting with /.');
  let real: string;
  try {
    real = await realpath(resolve(asked));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${asked} ${code === 'ENOENT' ? 'does not exist' : `cannot be opened (${code ?? 'error'})`}.`, 'Pick a folder from the list.');
  }
  const root = rootOf(real, roots);
  if (!root) {
    throw new UsageError(
      `${asked} is outside the folders Ferry may browse${real !== resolve(asked) ? ` (it leads to ${real})` : ''}.`,
      `Browse under ${roots.map((r) => r.path).join(', ')}; other folders can be typed in the field.`,
    );
  }
  if (!(await stat(real)).isDirectory()) throw new UsageError(`${asked} is not a folder.`, 'Pick a folder.');
  const entries = await listEntries(real, roots, req.dirsOnly === true);
  return {
    path: real,
    ...(real !== root.path ? { parent: dirname(real) } : {}),
    roots: roots.map((r) => ({ label: r.label, path: r.path })),
    entries,
  };
}

async function listEntries(dir: string, roots: BrowseRoot[], dirsOnly: boolean): Promise<BrowseEntry[]> {
  const out: BrowseEntry[] = [];
  const handle = await opendir(dir);
  for await (const d of handle) {
    if (d.name.startsWith('.')) continue;
    const entry = await describe(join(dir, d.name), d.name, roots);
    if (!entry || (dirsOnly && entry.kind !== 'dir')) continue;
    out.push(entry);
    // Listing stops well past the cap so the sort still shows folders first in huge folders.
    if (out.length >= MAX_BROWSE_ENTRIES * 2) break;
  }
  out.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));
  return out.slice(0, MAX_BROWSE_ENTRIES);
}

/** A folder, a regular file (with its size), or a symlink to a folder that stays under the roots; else nothing. */
async function describe(path: string, name: string, roots: BrowseRoot[]): Promise<BrowseEntry | undefined> {
  try {
    const st = await lstat(path);
    if (st.isDirectory()) return { name, kind: 'dir' };
    if (st.isFile()) return { name, kind: 'file', size: st.size };
    if (!st.isSymbolicLink()) return undefined; // FIFOs, sockets, devices are not offered
    const target = await realpath(path);
    if (!rootOf(target, roots)) return undefined;
    const t = await stat(target);
    return t.isDirectory() ? { name, kind: 'dir' } : t.isFile() ? { name, kind: 'file', size: t.size } : undefined;
  } catch {
    return undefined; // vanished or unreadable: not listed
  }
}
