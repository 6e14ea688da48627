import { createHash } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mediaReadStream, MediaFileError, readMediaJson } from '../io/media-file';
import { KIT_FILE, type KitSummary } from './kit-schema';
import { KIT_QUICK_FILE, QUICK_CHECK_BYTES, QUICK_CHECKED } from './kit-layout';
import { readKit } from './kit-read';
import type { KitQuick } from './kit-self-check';

export interface KitProblem {
  /** Relative to the kit folder. */
  path: string;
  problem: string;
}

function short(hex: string): string {
  return `${hex.slice(0, 12)}…`;
}

async function hashRange(dir: string, rel: string, start: number, end: number, hash: ReturnType<typeof createHash>): Promise<number> {
  const { stream, size } = await mediaReadStream(dir, rel, { start, end });
  for await (const chunk of stream) hash.update(chunk);
  return size;
}

/** sha256 of the whole file, or (quick) of its first and last QUICK_CHECK_BYTES as start.cjs computes it. */
async function hashKitFile(dir: string, rel: string, quick: boolean): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  const size = await hashRange(dir, rel, 0, quick ? QUICK_CHECK_BYTES - 1 : Number.MAX_SAFE_INTEGER, hash);
  if (quick && size > 2 * QUICK_CHECK_BYTES) {
    await hashRange(dir, rel, size - QUICK_CHECK_BYTES, size - 1, hash);
  } else if (quick && size > QUICK_CHECK_BYTES) {
    // small file: start.cjs hashes it whole
    return hashKitFile(dir, rel, false);
  }
  return { size, sha256: hash.digest('hex') };
}

/** Exported for the builder: the fast-check digest of a file as start.cjs will compute it. */
export async function quickDigest(dir: string, rel: string): Promise<{ size: number; headTailSha256: string }> {
  const { size, sha256 } = await hashKitFile(dir, rel, true);
  return { size, headTailSha256: sha256 };
}

async function unlisted(dir: string, listed: Set<string>, folders: Set<string>, problems: KitProblem[], rel = ''): Promise<void> {
  for (const e of await readdir(rel ? join(dir, rel) : dir, { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (folders.has(p)) await unlisted(dir, listed, folders, problems, p);
      else problems.push({ path: `${p}/`, problem: 'not listed in kit.json' });
    } else if (!listed.has(p)) {
      problems.push({ path: p, problem: e.isSymbolicLink() ? 'a symbolic link, not listed in kit.json' : 'not listed in kit.json' });
    }
  }
}

/**
 * Checks every file of the kit in `dir` against its kit.json, through the media reader: `full` hashes
 * every byte (`ferry kit verify`); otherwise the node binary gets the fast check start.cjs does (size
 * and its first and last MiB). Also: nothing unlisted in the kit folder (a planted module would run),
 * and the launcher and node are executable. Throws only when kit.json itself cannot be read.
 */
export async function verifyKit(dir: string, opts: { full: boolean }): Promise<{ ok: boolean; problems: KitProblem[]; summary: KitSummary }> {
  const { manifest, summary } = await readKit(dir);
  const problems: KitProblem[] = [];
  let quick: KitQuick = {};
  if (!opts.full) {
    try {
      quick = (await readMediaJson(dir, KIT_QUICK_FILE, 'kit')).value as KitQuick;
    } catch (err) {
      problems.push({ path: KIT_QUICK_FILE, problem: err instanceof Error ? err.message : String(err) });
    }
  }
  const folders = new Set<string>();
  for (const f of manifest.files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/'));
  }
  for (const f of manifest.files) {
    const fast = !opts.full && (QUICK_CHECKED as readonly string[]).includes(f.path);
    try {
      const got = await hashKitFile(dir, f.path, fast);
      const want = fast ? quick[f.path]?.headTailSha256 : f.sha256;
      if (got.size !== f.size) problems.push({ path: f.path, problem: `size ${got.size}≠${f.size}` });
      else if (!want) problems.push({ path: f.path, problem: `no fast-check digest in ${KIT_QUICK_FILE}` });
      else if (got.sha256 !== want) problems.push({ path: f.path, problem: `sha256 ${short(got.sha256)}≠${short(want)}` });
      else if (f.executable && ((await lstat(join(dir, f.path))).mode & 0o111) === 0) {
        problems.push({ path: f.path, problem: 'not executable (copy the kit with its file modes, or mount the medium with exec)' });
      }
    } catch (err) {
      problems.push({ path: f.path, problem: err instanceof MediaFileError ? err.message.replace(`${f.path} `, '') : err instanceof Error ? err.message : String(err) });
    }
  }
  try {
    await unlisted(dir, new Set([KIT_FILE, ...manifest.files.map((f) => f.path)]), folders, problems);
  } catch (err) {
    problems.push({ path: '.', problem: err instanceof Error ? err.message : String(err) });
  }
  return { ok: problems.length === 0, problems, summary };
}
