import { createReadStream } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { FerryError } from '../../shared/errors';
import { writeVerified } from '../io/verified-write';
import type { ModelArtifact } from './manifest-schema';
import type { Progress } from './verify';

/** Copies model files to `<modelsDir>/<org>/<name>/…`, each re-hashed as it is written. */
export async function placeModels(bundleDir: string, models: ModelArtifact[], modelsDir: string, progress: Progress) {
  const root = resolve(modelsDir);
  const placed = [];
  for (const m of models) {
    const dir = resolve(root, m.repo);
    if (!dir.startsWith(root + sep)) throw new FerryError(`Model name ${m.repo} would escape ${root}`);
    const itemId = `place:${m.repo}`;
    progress.item(itemId, `place ${m.repo}`, m.size);
    for (const f of m.files) {
      const dest = resolve(dir, f.path);
      if (!dest.startsWith(dir + sep)) throw new FerryError(`Model file ${f.path} would escape ${dir}`);
      await writeVerified(createReadStream(join(bundleDir, m.dir, f.path), { highWaterMark: 1 << 20 }), dest, { sha256: f.sha256, size: f.size }, {
        signal: progress.signal,
        onBytes: (n) => progress.advance(n, itemId),
      });
    }
    progress.itemState(itemId, 'done');
    placed.push({ repo: m.repo, dir, files: m.files.length, bytes: m.size });
  }
  return placed;
}
