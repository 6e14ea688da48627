import type { ImportRequest, ImportResult } from '../../shared/api';
import { UsageError } from '../../shared/errors';
import type { CustodyStore } from '../custody/custody-store';
import type { BundleManifest, OllamaArtifact } from '../bundle/manifest-schema';
import type { Progress } from '../jobs/progress';
import { confirmRestored } from './ollama-api';
import { restoreOllama } from './restore';

// `ferry import --ollama-models DIR [--ollama-url URL]`: restore, then (when a URL is given)
// confirm through Ollama's API; each recorded in custody.

export function ollamaArtifacts(manifest: BundleManifest): OllamaArtifact[] {
  return (manifest.extraArtifacts ?? []).filter((a): a is OllamaArtifact => a.kind === 'ollama');
}

/** Refuses --ollama-url without --ollama-models before anything runs. */
export function checkOllamaRequest(req: Pick<ImportRequest, 'ollamaModels' | 'ollamaUrl'>): void {
  if (req.ollamaUrl && !req.ollamaModels) throw new UsageError('--ollama-url needs --ollama-models', 'Give the folder Ollama reads its models from (OLLAMA_MODELS) with --ollama-models DIR.');
}

export async function importOllama(dir: string, manifest: BundleManifest, req: ImportRequest, custody: CustodyStore, progress: Progress): Promise<Pick<ImportResult, 'ollama' | 'ollamaConfirmed'>> {
  if (!req.ollamaModels) return {};
  const models = ollamaArtifacts(manifest);
  progress.phase('restoring Ollama models');
  const ollama = await restoreOllama(dir, models, req.ollamaModels, progress);
  if (ollama.length > 0) {
    custody.append({ type: 'imported', role: 'admin', bundleId: manifest.bundleId, details: { into: 'ollama', dir: req.ollamaModels, models: ollama.map((m) => ({ name: m.name, digest: m.digest, size: m.size, blobsWritten: m.blobsWritten, blobsSkipped: m.blobsSkipped })) } });
  }
  if (!req.ollamaUrl || ollama.length === 0) return { ollama };
  progress.phase('confirming through the Ollama API');
  const c = await confirmRestored(req.ollamaUrl, ollama, { signal: progress.signal });
  custody.append({ type: 'imported', role: 'admin', bundleId: manifest.bundleId, details: { into: 'ollama-api', url: c.url, version: c.version, listed: ollama.map((m) => ({ name: m.name, digest: m.digest })) } });
  return { ollama, ollamaConfirmed: { url: c.url, version: c.version } };
}
