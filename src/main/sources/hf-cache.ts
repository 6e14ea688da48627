import type { scanCachedRepo } from '@huggingface/hub';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { FerryError } from '../../shared/errors';
import { isCommitSha } from '../hub/model-ref';
import { assertSafeModelPath } from '../hub/model-path';
import type { LockModel, LockModelFile } from '../recipes/lock-schema';
import { selectedByGlobs } from '../recipes/glob';

/** $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function defaultHfCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface', 'hub');
}

export function cachedRepoPath(cacheDir: string, repo: string): string {
  return join(cacheDir, `models--${repo.split('/').join('--')}`);
}

/** A cached blob for `file` (blobs are named by sha256 for LFS files, by git blob id otherwise), or undefined. */
export async function findHfCacheBlob(cacheDir: string, repo: string, file: Pick<LockModelFile, 'sha256' | 'gitOid' | 'size'>): Promise<string | undefined> {
  for (const name of [file.sha256, file.gitOid]) {
    if (!name) continue;
    const p = join(cachedRepoPath(cacheDir, repo), 'blobs', name);
    const st = await lstat(p).catch(() => undefined);
    if (st?.isFile() && st.size === file.size) return p;
  }
  return undefined;
}

async function walkSnapshot(root: string, dir: string, out: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walkSnapshot(root, p, out);
    else out.push(relative(root, p).split(sep).join('/'));
  }
}

/**
 * Resolves a model from a local Hugging Face cache (`models--org--name/refs`, `snapshots/<commit>/…`
 * symlinked into `blobs/<sha256 or git oid>`), using @huggingface/hub's cache scanner for refs and
 * revisions. Undefined when the cache does not hold that revision. Takes the files the snapshot has.
 */
export async function resolveFromHfCache(cacheDir: string, id: string, repo: string, revision: string, include?: string[], exclude?: string[]): Promise<LockModel | undefined> {
  const repoPath = cachedRepoPath(cacheDir, repo);
  if (!(await stat(repoPath).catch(() => undefined))?.isDirectory()) return undefined;
  let info: Awaited<ReturnType<typeof scanCachedRepo>>;
  try {
    info = await (require('@huggingface/hub') as typeof import('@huggingface/hub')).scanCachedRepo(repoPath); // loaded on use: start-up, see hub-client.ts
  } catch (err) {
    throw new FerryError(`The Hugging Face cache entry ${repoPath} is damaged: ${(err as Error).message}`, 'Remove it or download the model again.');
  }
  const rev = info.revisions.find((r) => (isCommitSha(revision) ? r.commitOid === revision : r.refs.includes(revision)));
  if (!rev) return undefined;
  const blobs = join(await realpath(repoPath), 'blobs') + sep;
  const paths: string[] = [];
  await walkSnapshot(rev.path, rev.path, paths);
  const files: LockModelFile[] = [];
  for (const path of paths.sort()) {
    assertSafeModelPath(path);
    if (!selectedByGlobs(path, include, exclude)) continue;
    const target = await realpath(join(rev.path, ...path.split('/'))).catch(() => undefined);
    if (!target?.startsWith(blobs)) throw new FerryError(`${repoPath}: ${path} does not point into the cache's blobs folder`, 'The cache entry is damaged; download the model again.');
    const name = basename(target);
    const size = (await stat(target)).size;
    if (/^[a-f0-9]{64}$/.test(name)) files.push({ path, size, sha256: name });
    else if (/^[a-f0-9]{40}$/.test(name)) files.push({ path, size, gitOid: name });
    else throw new FerryError(`${repoPath}: blob ${name} of ${path} is not named by its hash`, 'The cache entry is damaged; download the model again.');
  }
  return {
    id,
    from: 'hf-cache',
    hubUrl: 'hf-cache',
    cacheDir,
    repo,
    requestedRevision: revision,
    revision: rev.commitOid,
    ...(include ? { include } : {}),
    ...(exclude ? { exclude } : {}),
    files,
    size: files.reduce((s, f) => s + f.size, 0),
  };
}
