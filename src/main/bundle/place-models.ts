import { createReadStream } from 'node:fs';
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CanceledError } from '../../shared/errors';
import { writeVerified } from '../io/verified-write';
import { hashFileInline } from '../media/copy';
import { confinedPath, fileInside, markOwned, modelDestination, ownership, requireOwnedOrAbsent } from './destinations';
import type { ModelArtifact } from './manifest-schema';
import type { Progress } from '../jobs/progress';

/** True when `file` is a regular file of `size` bytes whose sha256 is `hex` (re-read, not trusted by name). */
async function identical(file: string, size: number, hex: string, signal: AbortSignal): Promise<boolean> {
  const st = await lstat(file).catch(() => undefined);
  if (!st?.isFile() || st.size !== size) return false;
  return (await hashFileInline(file, { signal })).sha256 === hex;
}

/**
 * Copies model files to `<modelsDir>/<org>/<name>/…` (modelDestination, the folder review shows),
 * each re-hashed as it is written (temp file + rename). The folder must be new or Ferry's own
 * (its `.ferry-owned` marker); one Ferry did not create is refused before anything is written.
 * In a folder of Ferry's, a file already there with the same sha256 is kept; one that differs is
 * moved into `<folder>.ferry-previous/` (kept for undo, replacing an older previous of Ferry's)
 * before the new one is renamed into place, and moved back if the new one cannot be written.
 */
export async function placeModels(bundleDir: string, models: ModelArtifact[], modelsDir: string, progress: Progress, who: Record<string, string> = {}) {
  const root = resolve(modelsDir);
  const targets = [];
  for (const m of models) {
    const dir = await confinedPath(modelDestination(m, root));
    const state = await requireOwnedOrAbsent(dir, `model ${m.repo}`);
    const previous = `${dir}.ferry-previous`;
    if (state === 'ferry') await requireOwnedOrAbsent(previous, `model ${m.repo}`);
    targets.push({ m, dir, state, previous });
  }
  const placed = [];
  for (const { m, dir, state, previous } of targets) {
    const itemId = `place:${m.repo}`;
    progress.item(itemId, `place ${m.repo}`, m.size);
    if (state === 'absent') {
      await mkdir(dir, { recursive: true });
      await markOwned(dir, { ...who, model: m.repo, revision: m.revision });
    } else if ((await ownership(previous)) === 'ferry') await rm(previous, { recursive: true });
    let kept = 0;
    let moved = 0;
    for (const f of m.files) {
      const dest = fileInside(dir, f.path, `model ${m.repo}`);
      if (state === 'ferry' && (await identical(dest, f.size, f.sha256, progress.signal))) {
        kept++;
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
        await writeVerified(createReadStream(join(bundleDir, m.dir, f.path), { highWaterMark: 1 << 20 }), dest, { sha256: f.sha256, size: f.size }, {
          signal: progress.signal,
          onBytes: (n) => progress.advance(n, itemId),
        });
      } catch (err) {
        if (existing) await rename(aside, dest).catch(() => undefined);
        if (!(err instanceof CanceledError)) progress.itemState(itemId, 'failed');
        throw err;
      }
    }
    progress.itemState(itemId, 'done');
    placed.push({ repo: m.repo, dir, files: m.files.length, bytes: m.size, ...(kept ? { kept } : {}), ...(moved ? { previous, replaced: moved } : {}) });
  }
  return placed;
}
