import { join } from 'node:path';
import { alreadyThere } from './acquire-models';
import type { BundleFile, FilesArtifact } from '../bundle/manifest-schema';
import type { Progress } from '../jobs/progress';
import type { LockFiles } from '../recipes/lock-schema';
import { copyVerified } from './blob-fetch';
import { Meter, type AcquireContext, type Task } from './tasks';

export const filesItemId = (f: LockFiles): string => `files:${f.id}`;

export function declareFileItems(list: LockFiles[], progress: Progress): void {
  for (const f of list) progress.item(filesItemId(f), `files ${f.id} (${f.source})`, f.size);
}

/** One task per local file: copied through writeVerified against the sha256 pinned in the lock. */
export function fileTasks(list: LockFiles[], ctx: AcquireContext): Task[] {
  return list.flatMap((art) =>
    art.files.map((f): Task => ({
      itemId: filesItemId(art),
      run: async () => {
        const rel = `${art.dir}/${f.path}`;
        const dest = join(ctx.dir, ...rel.split('/'));
        const meter = new Meter(ctx, filesItemId(art), true);
        const expected = { sha256: f.sha256, size: f.size };
        if ((await alreadyThere(ctx, rel, dest, expected)) !== undefined) return meter.reused(f.size);
        const from = art.kind === 'file' ? art.source : join(art.source, ...f.path.split('/'));
        await copyVerified(ctx, from, dest, expected, meter);
        ctx.verified.put(rel, f.sha256, f.size);
      },
    })),
  );
}

export function finishFiles(list: LockFiles[], progress: Progress): { artifacts: FilesArtifact[]; files: BundleFile[] } {
  for (const f of list) progress.itemState(filesItemId(f), 'done');
  return {
    artifacts: list.map((f) => ({ kind: 'files', name: f.id, source: f.source, dir: f.dir, size: f.size, files: f.files })),
    files: list.flatMap((f) => f.files.map((x) => ({ ...x, path: `${f.dir}/${x.path}` }))),
  };
}
