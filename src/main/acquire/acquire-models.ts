import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, rm } from 'node:fs/promises';
import { FerryError } from '../../shared/errors';
import { copyVerified } from './blob-fetch';
import { downloadModelFileResumable, modelFileExpected } from './hub-download';
import { withRetry } from './retry';
import { Meter, type AcquireContext, type Task } from './tasks';
import { modelFileDest } from '../hub/model-path';
import type { Expected } from '../io/verified-write';
import type { LockModel, LockModelFile } from '../recipes/lock-schema';
import { findHfCacheBlob } from '../sources/hf-cache';
import { MODELS_DIR, type BundleFile, type ModelArtifact } from '../bundle/manifest-schema';
import { modelDirName } from '../bundle/safe-path';
import type { Progress } from '../jobs/progress';

export function modelItemId(m: LockModel): string {
  return `model:${m.repo}`;
}

export function declareModelItems(models: LockModel[], progress: Progress): void {
  for (const m of models) progress.item(modelItemId(m), `${m.repo}@${m.revision.slice(0, 12)}`, m.size);
}

const modelDir = (m: LockModel): string => `${MODELS_DIR}/${modelDirName(m.repo)}`;

/** Hashes a file already in place (sha256 and, for git-only checksums, the git blob id). */
async function hashExisting(path: string, expected: Expected, signal: AbortSignal): Promise<{ sha256: string; ok: boolean }> {
  const sha = createHash('sha256');
  const git = expected.gitSha1 ? createHash('sha1').update(`blob ${expected.size}\0`) : undefined;
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20, signal })) {
    sha.update(c as Buffer);
    git?.update(c as Buffer);
  }
  const sha256 = sha.digest('hex');
  return { sha256, ok: expected.sha256 ? sha256 === expected.sha256 : git!.digest('hex') === expected.gitSha1 };
}

/**
 * A file this lock already put in place: trusted by the store's record of its verification,
 * else re-hashed once. Returns its sha256, or undefined when it must be fetched.
 */
export async function alreadyThere(ctx: AcquireContext, rel: string, dest: string, expected: Expected & { size: number }): Promise<string | undefined> {
  const st = await lstat(dest).catch(() => undefined);
  if (!st) return undefined;
  const rec = ctx.verified.get(rel);
  if (st.isFile() && st.size === expected.size && rec && rec.size === expected.size && (!expected.sha256 || rec.sha256 === expected.sha256)) return rec.sha256;
  if (st.isFile() && st.size === expected.size) {
    const h = await hashExisting(dest, expected, ctx.signal);
    if (h.ok) {
      ctx.verified.put(rel, h.sha256, expected.size);
      return h.sha256;
    }
  }
  await rm(dest, { recursive: true, force: true });
  return undefined;
}

/** One task per model file: kept if already verified, else copied from the HF cache, else downloaded resumably. */
export function modelTasks(models: LockModel[], ctx: AcquireContext, results: Map<string, string>): Task[] {
  return models.flatMap((m) =>
    m.files.map((file: LockModelFile): Task => ({
      itemId: modelItemId(m),
      run: async () => {
        const rel = `${modelDir(m)}/${file.path}`;
        const dest = modelFileDest(`${ctx.dir}/${modelDir(m)}`, file.path);
        const expected = modelFileExpected(file) as Expected & { size: number };
        const cacheDir = m.cacheDir ?? ctx.hfCache;
        const cached = cacheDir ? await findHfCacheBlob(cacheDir, m.repo, file) : undefined;
        const meter = new Meter(ctx, modelItemId(m), cached !== undefined);
        let sha256 = await alreadyThere(ctx, rel, dest, expected);
        if (sha256 !== undefined) meter.reused(file.size);
        else if (cached) sha256 = await copyVerified(ctx, cached, dest, expected, meter);
        else if (m.from === 'hf-cache') throw new FerryError(`${m.repo}: ${file.path} is no longer in the Hugging Face cache ${m.cacheDir}`, 'Download it again, or resolve from the hub.');
        else {
          sha256 = (
            await withRetry(
              () => downloadModelFileResumable(m, file, dest, { hubUrl: m.hubUrl, accessToken: ctx.hubToken, signal: ctx.signal, onBytes: meter.bytes, onResumed: meter.resumed }),
              { signal: ctx.signal },
            )
          ).sha256;
        }
        ctx.verified.put(rel, sha256, file.size);
        results.set(rel, sha256);
      },
    })),
  );
}

export function finishModels(models: LockModel[], results: Map<string, string>, progress: Progress): { artifacts: ModelArtifact[]; files: BundleFile[] } {
  const artifacts: ModelArtifact[] = [];
  const files: BundleFile[] = [];
  for (const m of models) {
    const dir = modelDir(m);
    const written = m.files.map((f) => ({ path: f.path, size: f.size, sha256: results.get(`${dir}/${f.path}`)! }));
    progress.itemState(modelItemId(m), 'done');
    files.push(...written.map((f) => ({ ...f, path: `${dir}/${f.path}` })));
    artifacts.push({
      kind: 'model',
      name: m.repo,
      source: m.from === 'hf-cache' ? `hf-cache:${m.cacheDir}/${m.repo}` : `${m.hubUrl}/${m.repo}${m.requestedRevision === 'main' ? '' : `@${m.requestedRevision}`}`,
      hubUrl: m.hubUrl,
      repo: m.repo,
      requestedRevision: m.requestedRevision,
      revision: m.revision,
      dir,
      size: m.size,
      files: written,
    });
  }
  return { artifacts, files };
}
