import { resolve, sep } from 'node:path';
import { FerryError } from '../../shared/errors';
import type { OllamaArtifact } from '../bundle/manifest-schema';
import { fatSafeSegment, ollamaBlobPath, ollamaManifestPath, type OllamaName } from '../sources/ollama-name';

// Where an Ollama model lives in an OLLAMA_MODELS folder, exactly as Ollama reads it:
// manifests/<host>/<namespace>/<model>/<tag> and blobs/sha256-<hex>.

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.:%-]{0,254}$/;
const HEX = /^sha256:[a-f0-9]{64}$/;

/** The model's name as the bundle records it, each path segment checked (no `..`, no separators). */
export function artifactName(a: OllamaArtifact): OllamaName {
  const segments = [a.registry, ...a.repository.split('/'), a.tag];
  const bad = segments.find((s) => !SEGMENT.test(s) || s === '.' || s === '..' || /^\.+$/.test(s));
  if (bad !== undefined || a.repository.split('/').length !== 2) {
    throw new FerryError(
      `Ollama model ${a.name}: the name ${a.registry}/${a.repository}:${a.tag} cannot be laid out as manifests/<host>/<namespace>/<model>/<tag>${bad !== undefined ? ` (segment "${bad}")` : ''}`,
      'The bundle records a name Ollama would not accept; re-create the bundle from the model as Ollama names it.',
    );
  }
  return { registry: a.registry, repository: a.repository, tag: a.tag };
}

/** The manifest's path relative to OLLAMA_MODELS: the real host name (`host:port`), or `%3A` where the folder must be FAT/NTFS-safe. */
export function manifestRelPath(n: OllamaName, fatSafe: boolean): string {
  return ollamaManifestPath(fatSafe ? { ...n, registry: fatSafeSegment(n.registry) } : n, false);
}

/** `blobs/sha256-<hex>` for a digest, refusing anything that is not a sha256 digest. */
export function blobRelPath(digest: string, model: string): string {
  if (!HEX.test(digest)) throw new FerryError(`Ollama model ${model}: layer digest "${digest}" is not a sha256 digest`, 'Re-create the bundle.');
  return ollamaBlobPath(digest);
}

/** `root/rel`, refusing a result outside root. */
export function inside(root: string, rel: string): string {
  const abs = resolve(root, ...rel.split('/'));
  if (!abs.startsWith(resolve(root) + sep)) throw new FerryError(`${rel} would escape ${root}`, 'Re-create the bundle.');
  return abs;
}
