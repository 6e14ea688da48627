import { join } from 'node:path';
import { mapLimit } from '../core/concurrency';
import { downloadModelFile, type ResolvedModel } from '../hub/hub-client';
import type { Progress } from './verify';
import { MODELS_DIR, type BundleFile, type ModelArtifact } from './manifest-schema';
import { modelDirName } from './safe-path';

export interface ModelToAcquire {
  source: string;
  hubUrl: string;
  accessToken?: string;
  resolved: ResolvedModel;
}

export function modelItemId(m: ModelToAcquire): string {
  return `model:${m.resolved.repo}`;
}

export function declareModelItems(models: ModelToAcquire[], progress: Progress): void {
  for (const m of models) {
    progress.item(modelItemId(m), `${m.resolved.repo}@${m.resolved.revision.slice(0, 12)}`, m.resolved.files.reduce((s, f) => s + f.size, 0));
  }
}

/** Downloads every model file into models/<org>--<name>/, each checked while it streams. */
export async function acquireModels(
  models: ModelToAcquire[],
  bundleDir: string,
  progress: Progress,
  concurrency = 4,
): Promise<{ artifacts: ModelArtifact[]; files: BundleFile[] }> {
  const artifacts: ModelArtifact[] = [];
  const files: BundleFile[] = [];
  for (const m of models) {
    const dir = `${MODELS_DIR}/${modelDirName(m.resolved.repo)}`;
    const itemId = modelItemId(m);
    const written = await mapLimit(m.resolved.files, concurrency, async (file) => {
      const got = await downloadModelFile(m.resolved, file, join(bundleDir, dir, file.path), {
        hubUrl: m.hubUrl,
        accessToken: m.accessToken,
        signal: progress.signal,
        onBytes: (n) => progress.advance(n, itemId),
      });
      return { path: file.path, size: got.size, sha256: got.sha256 };
    });
    progress.itemState(itemId, 'done');
    files.push(...written.map((f) => ({ ...f, path: `${dir}/${f.path}` })));
    artifacts.push({
      kind: 'model',
      name: m.resolved.repo,
      source: m.source,
      hubUrl: m.hubUrl,
      repo: m.resolved.repo,
      requestedRevision: m.resolved.requestedRevision,
      revision: m.resolved.revision,
      dir,
      size: written.reduce((s, f) => s + f.size, 0),
      files: written,
    });
  }
  return { artifacts, files };
}
