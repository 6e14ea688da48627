import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../shared/errors';
import type { LockOllama } from '../recipes/lock-schema';
import { parseImageManifest, toDescriptor } from '../registry/manifest-schema';
import { DOCKER_MANIFEST } from '../registry/media-types';
import { ollamaBlobPath, ollamaDisplayName, ollamaManifestPath, type OllamaName } from './ollama-name';

const MAX_MANIFEST = 4 << 20;

/** The default Ollama models folder: $OLLAMA_MODELS, else ~/.ollama/models. */
export function defaultOllamaDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.OLLAMA_MODELS || join(env.HOME ?? '', '.ollama', 'models');
}

/** Path of a blob in a local Ollama folder: `sha256-<hex>` or the legacy `sha256:<hex>`. */
export async function findOllamaBlob(dir: string, digest: string, size: number): Promise<string | undefined> {
  for (const name of [ollamaBlobPath(digest), `blobs/${digest}`]) {
    const st = await lstat(join(dir, name)).catch(() => undefined);
    if (st?.isFile() && st.size === size) return join(dir, name);
  }
  return undefined;
}

/**
 * Resolves an Ollama model from a local models folder (manifests/<host>/<ns>/<model>/<tag> +
 * blobs/). Undefined when the folder does not hold it; an error when it holds it incompletely.
 */
export async function resolveFromOllamaDir(dir: string, id: string, name: OllamaName): Promise<LockOllama | undefined> {
  let bytes: Buffer | undefined;
  for (const rel of [ollamaManifestPath(name, false), ollamaManifestPath(name, true)]) {
    const file = join(dir, ...rel.split('/'));
    const st = await lstat(file).catch(() => undefined);
    if (!st?.isFile()) continue;
    if (st.size > MAX_MANIFEST) throw new FerryError(`${file} is larger than 4 MiB`, 'This is not an Ollama manifest.');
    bytes = await readFile(file);
    break;
  }
  if (!bytes) return undefined;
  const where = `${dir}: ${ollamaDisplayName(name)}`;
  const m = parseImageManifest(bytes, where);
  const config = toDescriptor(m.config);
  const layers = m.layers.map(toDescriptor);
  for (const d of [config, ...layers]) {
    if (!(await findOllamaBlob(dir, d.digest, d.size))) throw new FerryError(`${where}: blob ${d.digest} (${d.size} bytes) is missing`, 'Pull the model again with ollama, or fetch it from the registry instead.');
  }
  const desc = (d: typeof config) => ({ mediaType: d.mediaType, digest: d.digest, size: d.size, at: ollamaBlobPath(d.digest) });
  return {
    id,
    model: ollamaDisplayName(name),
    from: 'ollama-dir',
    path: dir,
    ...name,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    mediaType: m.mediaType ?? DOCKER_MANIFEST,
    manifest: bytes.toString('base64'),
    config: desc(config),
    layers: layers.map(desc),
    size: bytes.length + config.size + layers.reduce((s, l) => s + l.size, 0),
  };
}
