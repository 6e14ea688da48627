import type { ImportRequest, OllamaRestored } from '../../shared/api';
import { UsageError } from '../../shared/errors';
import type { CustodyStore } from '../custody/custody-store';
import type { BundleManifest, OllamaArtifact } from '../bundle/manifest-schema';
import type { Progress } from '../jobs/progress';
import { confirmRestored } from './ollama-api';

// `ferry import --ollama-models DIR [--ollama-url URL]`: the restore is a delivery (deliver/);
// with a URL, Ollama's API then confirms it lists every restored model, recorded in custody.

export function ollamaArtifacts(manifest: BundleManifest): OllamaArtifact[] {
  return (manifest.extraArtifacts ?? []).filter((a): a is OllamaArtifact => a.kind === 'ollama');
}

/** Refuses --ollama-url without --ollama-models before anything runs. */
export function checkOllamaRequest(req: Pick<ImportRequest, 'ollamaModels' | 'ollamaUrl'>): void {
  if (req.ollamaUrl && !req.ollamaModels) throw new UsageError('--ollama-url needs --ollama-models', 'Give the folder Ollama reads its models from (OLLAMA_MODELS) with --ollama-models DIR.');
}

/** Asks the Ollama server at `url` to list every restored model; records its answer in custody. */
export async function confirmOllama(url: string, restored: OllamaRestored[], bundleId: string, custody: CustodyStore, progress: Progress): Promise<{ url: string; version?: string }> {
  progress.phase('confirming through the Ollama API');
  const c = await confirmRestored(url, restored, { signal: progress.signal });
  custody.append({ type: 'imported', role: 'admin', bundleId, details: { into: 'ollama-api', url: c.url, version: c.version, listed: restored.map((m) => ({ name: m.name, digest: m.digest })) } });
  return { url: c.url, ...(c.version !== undefined ? { version: c.version } : {}) };
}
