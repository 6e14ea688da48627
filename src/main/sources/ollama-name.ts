import { UsageError } from '../../shared/errors';
import { parseReference } from '../registry/reference';

export const OLLAMA_REGISTRY = 'registry.ollama.ai';
export const OLLAMA_DIR = 'ollama';

export interface OllamaName {
  registry: string;
  repository: string;
  tag: string;
}

/** `llama3.1:8b` → registry.ollama.ai / library/llama3.1 : 8b; `user/model`, `host/ns/model:tag` as Ollama reads them. */
export function parseOllamaName(input: string): OllamaName {
  const s = input.trim();
  const parts = s.split('/');
  const full = parts.length === 1 ? `${OLLAMA_REGISTRY}/library/${s}` : parts.length === 2 ? `${OLLAMA_REGISTRY}/${s}` : s;
  let ref;
  try {
    ref = parseReference(full);
  } catch (err) {
    throw new UsageError(`Invalid Ollama model "${input}": ${(err as Error).message}`, 'Use NAME[:TAG], e.g. llama3.1:8b.');
  }
  if (ref.digest) throw new UsageError(`Invalid Ollama model "${input}": give a tag, not a digest`);
  return { registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest' };
}

/** Ollama's own short form: `llama3.1:8b` for library models, else `ns/model:tag` or the full name. */
export function ollamaDisplayName(n: OllamaName): string {
  const path = n.registry === OLLAMA_REGISTRY ? n.repository.replace(/^library\//, '') : `${n.registry}/${n.repository}`;
  return `${path}:${n.tag}`;
}

/** `:` (a host's port) is not allowed on FAT/NTFS; Ollama's folder names are mapped with %3A. */
export function fatSafeSegment(s: string): string {
  return s.replace(/:/g, '%3A');
}

/** Path of the model's manifest inside an Ollama models folder (and in the bundle under ollama/). */
export function ollamaManifestPath(n: OllamaName, fatSafe = true): string {
  const host = fatSafe ? fatSafeSegment(n.registry) : n.registry;
  return ['manifests', host, ...n.repository.split('/'), n.tag].join('/');
}

/** Blob file name: current Ollama uses `sha256-<hex>`; old versions wrote `sha256:<hex>`, which FAT/NTFS reject. */
export function ollamaBlobPath(digest: string): string {
  return `blobs/${digest.replace(':', '-')}`;
}
