import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CanceledError } from '../../shared/errors';
import { confinedPath, fileInside, markOwned, modelDestination, ownership, requireOwnedOrAbsent } from '../bundle/destinations';
import type { ModelArtifact } from '../bundle/manifest-schema';
import { holdsVerified, writeVerified } from '../io/verified-write';
import type { Progress } from '../jobs/progress';
import { verifiedChunks } from './verifying-stream';

/** A model placed (or, in a failure record, the files of one that had been renamed into place). */
export interface PlacedModel {
  repo: string;
  dir: string;
  files: number;
  bytes: number;
  kept?: number;
  previous?: string;
  replaced?: number;
  /** Set only in a failure record: the model stopped part way; these files were in place. */
  placedFiles?: string[];
}

/**
 * Copies model files to `<modelsDir>/<org>/<name>/…` (modelDestination, the folder review shows).
 * Each file is read once from the bundle and proven while it is written to `<file>.tmp` in the same
 * folder (fsync), and renamed into place only once its sha256 matched; the temp file is removed on
 * failure. The folder must be new or Ferry's own (its `.ferry-owned` marker); one Ferry did not
 * create is refused before anything is written. In a folder of Ferry's, a file already there with
 * the same sha256 is kept; one that differs is moved into `<folder>.ferry-previous/` (kept for undo,
 * replacing an older previous of Ferry's) and moved back if the new one cannot be written.
 * Each model is appended to `done` once all its files are in place.
 */
export async function placeModelFiles(bundleDir: string, models: ModelArtifact[], modelsDir: string, progress: Progress, done: PlacedModel[], who: Record<string, string> = {}): Promise<PlacedModel[]> {
  const root = resolve(modelsDir);
  const targets = [];
  for (const m of models) {
    const dir = await confinedPath(modelDestination(m, root));
    const state = await requireOwnedOrAbsent(dir, `model ${m.repo}`);
    const previous = `${dir}.ferry-previous`;
    if (state === 'ferry') await requireOwnedOrAbsent(previous, `model ${m.repo}`);
    targets.push({ m, dir, state, previous });
  }
  for (const { m, dir, state, previous } of targets) {
    const itemId = `place:${m.repo}`;
    progress.item(itemId, `place ${m.repo}`, m.size);
    if (state === 'absent') {
      await mkdir(dir, { recursive: true });
      await markOwned(dir, { ...who, model: m.repo, revision: m.revision });
    } else if ((await ownership(previous)) === 'ferry') await rm(previous, { recursive: true });
    let kept = 0;
    let moved = 0;
    const placedFiles: string[] = [];
    for (const f of m.files) {
      const dest = fileInside(dir, f.path, `model ${m.repo}`);
      if (state === 'ferry' && (await holdsVerified(dest, f, progress.signal))) {
        kept++;
        placedFiles.push(f.path);
        progress.advance(f.size, itemId);
        continue;
      }
      const aside = fileInside(previous, f.path, `model ${m.repo}`);
      const existing = state === 'ferry' && (await lstat(dest).catch(() => undefined))?.isFile();
      if (existing) {
        if ((await ownership(previous)) === 'absent') {
          await mkdir(previous, { recursive: true });
          await markOwned(previous, { ...who, model: m.repo, previousOf: dir });
        }
        await mkdir(dirname(aside), { recursive: true });
        await rename(dest, aside);
        moved++;
      }
      try {
        const rel = `${m.dir}/${f.path}`;
        const source = verifiedChunks(bundleDir, rel, f, { signal: progress.signal, bundleDir });
        await writeVerified(source, dest, { sha256: f.sha256, size: f.size }, { signal: progress.signal, onBytes: (n) => progress.advance(n, itemId), sourceProven: true });
        placedFiles.push(f.path);
      } catch (err) {
        if (existing) await rename(aside, dest).catch(() => undefined);
        if (!(err instanceof CanceledError)) progress.itemState(itemId, 'failed');
        if (placedFiles.length > 0) {
          const bytes = m.files.filter((x) => placedFiles.includes(x.path)).reduce((n, x) => n + x.size, 0);
          done.push({ repo: m.repo, dir, files: placedFiles.length, bytes, placedFiles });
        }
        throw err;
      }
    }
    progress.itemState(itemId, 'done');
    done.push({ repo: m.repo, dir, files: m.files.length, bytes: m.size, ...(kept ? { kept } : {}), ...(moved ? { previous, replaced: moved } : {}) });
  }
  return done;
}
