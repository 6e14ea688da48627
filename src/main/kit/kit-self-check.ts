import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { KitManifest, KitPlatform, KitSummary } from './kit-schema';
import { KIT_QUICK_FILE, QUICK_CHECK_BYTES, QUICK_CHECKED, kitSummary } from './kit-layout';

/**
 * The kit's check of itself at every start (bundled into app/start.cjs, so node built-ins only and no
 * zod): synchronous, small, and as strict as the media reader: regular files only, opened with
 * O_NOFOLLOW | O_NONBLOCK and fstat'ed, every folder a real folder, sizes bounded before reading,
 * nothing in the kit folder that kit.json does not list. Every file is hashed in full except the node
 * binary, whose size and first/last MiB are checked against app/kit-quick.json (itself listed in kit.json).
 */

export interface SelfCheckProblem {
  path: string;
  /** e.g. `sha256 1a2b3c4d5e6f…≠9f8e7d6c5b4a…`, `missing`, `not listed in kit.json`. */
  problem: string;
}

export interface SelfCheckResult {
  problems: SelfCheckProblem[];
  summary?: KitSummary;
}

/** app/kit-quick.json: the digests the fast check compares, per QUICK_CHECKED file. */
export interface KitQuick {
  [path: string]: { size: number; headTailSha256: string };
}

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const MAX_KIT_JSON = 4 << 20;
const CHUNK = 1 << 20;
const SAFE = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[^\\\x00-\x1f:]+$/;

function short(hex: string): string {
  return `${hex.slice(0, 12)}…`;
}

/** Opens a regular file (no link, FIFO or device), checks its size, calls `fn(fd, size)`. */
function withRegularFile<T>(abs: string, fn: (fd: number, size: number) => T): T {
  const fd = openSync(abs, FLAGS);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    return fn(fd, st.size);
  } finally {
    closeSync(fd);
  }
}

function readRange(fd: number, hash: ReturnType<typeof createHash>, start: number, length: number, buf: Buffer): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, length - got), start + got);
    if (n === 0) break;
    hash.update(n === buf.length ? buf : buf.subarray(0, n));
    got += n;
  }
  return got;
}

/** sha256 of the whole file (`quick`: of its first and last QUICK_CHECK_BYTES only) and its size. */
let shared: Buffer | undefined; // one read buffer for the whole check: allocating one per file costs more than hashing

export function hashFileSync(abs: string, quick = false): { size: number; sha256: string } {
  const buf = (shared ??= Buffer.allocUnsafe(CHUNK));
  return withRegularFile(abs, (fd, size) => {
    const hash = createHash('sha256');
    if (quick && size > 2 * QUICK_CHECK_BYTES) {
      readRange(fd, hash, 0, QUICK_CHECK_BYTES, buf);
      readRange(fd, hash, size - QUICK_CHECK_BYTES, QUICK_CHECK_BYTES, buf);
    } else if (readRange(fd, hash, 0, size, buf) !== size) {
      throw Object.assign(new Error('changed size while it was read'), { code: 'ERACE' });
    }
    return { size, sha256: hash.digest('hex') };
  });
}

function readSmall(abs: string, max: number): Buffer {
  return withRegularFile(abs, (fd, size) => {
    if (size > max) throw Object.assign(new Error(`over ${max} bytes`), { code: 'EFBIG' });
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  });
}

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'missing';
  if (code === 'ELOOP' || code === 'EMLINK') return 'a symbolic link';
  if (code === 'ENOTREG' || code === 'ENXIO') return 'not a regular file';
  if (code === 'ENOTDIR') return 'a folder on its path is not a folder';
  return `cannot be read (${code ?? (err as Error).message})`;
}

/** Minimal shape check of kit.json (the full schema check is `ferry kit verify`'s, with zod). */
function shapeOf(value: unknown): KitManifest | string {
  const m = value as Partial<KitManifest> | null;
  if (!m || typeof m !== 'object' || m.format !== 'ferry.kit.v1') return 'not a ferry.kit.v1 manifest';
  if (!m.ferry || typeof m.ferry.version !== 'string' || typeof m.ferry.commit !== 'string') return 'field ferry is invalid';
  if (!m.node || typeof m.node.version !== 'string') return 'field node is invalid';
  if (m.platform !== 'linux/amd64' && m.platform !== 'linux/arm64') return 'field platform is invalid';
  if (!Array.isArray(m.files) || m.files.length === 0 || m.files.length > 10_000) return 'field files is invalid';
  for (const f of m.files) {
    if (!f || typeof f.path !== 'string' || !SAFE.test(f.path) || f.path.includes('//') || f.path.endsWith('/')) return 'a file path is invalid';
    if (!Number.isSafeInteger(f.size) || f.size < 0 || typeof f.sha256 !== 'string' || !/^[a-f0-9]{64}$/.test(f.sha256)) return `field files (${f.path}) is invalid`;
  }
  return m as KitManifest;
}

/** Every entry under `dir` that is not a folder on the way to a listed file or a listed regular file. */
function unlisted(dir: string, listed: Set<string>, folders: Set<string>, problems: SelfCheckProblem[], rel = ''): void {
  for (const e of readdirSync(rel ? join(dir, rel) : dir, { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (folders.has(p)) unlisted(dir, listed, folders, problems, p);
      else problems.push({ path: `${p}/`, problem: 'not listed in kit.json' });
    } else if (!listed.has(p)) {
      problems.push({ path: p, problem: e.isSymbolicLink() ? 'a symbolic link, not listed in kit.json' : 'not listed in kit.json' });
    }
  }
}

/**
 * The fast check of the kit in `dir` (the folder holding kit.json), at every start. Problems name the
 * file relative to the kit folder; `ferry kit verify` (kit-verify.ts) is the full check.
 */
export function selfCheckKit(dir: string): SelfCheckResult {
  const problems: SelfCheckProblem[] = [];
  const kitFile = 'kit.json';
  let bytes: Buffer;
  try {
    bytes = readSmall(join(dir, kitFile), MAX_KIT_JSON);
  } catch (err) {
    return { problems: [{ path: kitFile, problem: describe(err) }] };
  }
  let manifest: KitManifest | string;
  try {
    manifest = shapeOf(JSON.parse(bytes.toString('utf8')));
  } catch {
    manifest = 'not valid JSON';
  }
  if (typeof manifest === 'string') return { problems: [{ path: kitFile, problem: manifest }] };
  const sha256 = createHash('sha256').update(bytes).digest('hex');

  // Folders first: every folder on the way to a listed file must be a real folder, not a link.
  const folders = new Set<string>();
  for (const f of manifest.files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/'));
  }
  const badFolders = new Set<string>();
  for (const d of [...folders].sort()) {
    try {
      if (!lstatSync(join(dir, d)).isDirectory()) {
        badFolders.add(d);
        problems.push({ path: `${d}/`, problem: 'not a real folder (a link or a file)' });
      }
    } catch (err) {
      badFolders.add(d);
      problems.push({ path: `${d}/`, problem: describe(err) });
    }
  }
  if (badFolders.size > 0) return { problems, summary: kitSummary(manifest, sha256) };

  // app/kit-quick.json first (hashed in full against kit.json): it holds the node binary's fast-check digest.
  let quick: KitQuick = {};
  const quickEntry = manifest.files.find((f) => f.path === KIT_QUICK_FILE);
  const quickPaths = new Set<string>(QUICK_CHECKED);
  const ordered = quickEntry ? [quickEntry, ...manifest.files.filter((f) => f !== quickEntry)] : manifest.files;
  for (const f of ordered) {
    try {
      if (quickPaths.has(f.path)) {
        const q = quick[f.path];
        if (!q) {
          problems.push({ path: f.path, problem: `no fast-check digest in ${KIT_QUICK_FILE}` });
          continue;
        }
        const got = hashFileSync(join(dir, f.path), true);
        if (got.size !== f.size || q.size !== f.size) problems.push({ path: f.path, problem: `size ${got.size}≠${f.size}` });
        else if (got.sha256 !== q.headTailSha256) problems.push({ path: f.path, problem: `sha256 of its first and last MiB ${short(got.sha256)}≠${short(q.headTailSha256)}` });
        continue;
      }
      const got = hashFileSync(join(dir, f.path));
      if (got.size !== f.size) problems.push({ path: f.path, problem: `size ${got.size}≠${f.size}` });
      else if (got.sha256 !== f.sha256) problems.push({ path: f.path, problem: `sha256 ${short(got.sha256)}≠${short(f.sha256)}` });
      else if (f === quickEntry) quick = parseQuick(join(dir, f.path));
    } catch (err) {
      problems.push({ path: f.path, problem: describe(err) });
    }
  }
  if (!quickEntry) problems.push({ path: KIT_QUICK_FILE, problem: 'not listed in kit.json' });
  try {
    unlisted(dir, new Set([kitFile, ...manifest.files.map((f) => f.path)]), folders, problems);
  } catch (err) {
    problems.push({ path: '.', problem: describe(err) });
  }
  return { problems, summary: kitSummary(manifest, sha256) };
}

function parseQuick(abs: string): KitQuick {
  const v = JSON.parse(readSmall(abs, 64 << 10).toString('utf8')) as KitQuick;
  return v && typeof v === 'object' ? v : {};
}

/** The platform a kit's node is for, as `process.platform/arch` says it. */
export function hostPlatform(): KitPlatform | undefined {
  if (process.platform !== 'linux') return undefined;
  return process.arch === 'x64' ? 'linux/amd64' : process.arch === 'arm64' ? 'linux/arm64' : undefined;
}
