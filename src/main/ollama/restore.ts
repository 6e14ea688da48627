import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { readMediaFile } from '../io/media-file';
import { join, relative, resolve } from 'node:path';
import type { OllamaRestored } from '../../shared/api';
import { CanceledError, FerryError } from '../../shared/errors';
import { confinedPath, ollamaDestination } from '../bundle/destinations';
import type { OllamaArtifact } from '../bundle/manifest-schema';
import type { Progress } from '../jobs/progress';
import { holdsVerified, writeVerified } from '../io/verified-write';
import { DeliveryMismatchError, verifiedChunks } from '../deliver/verifying-stream';
import { parseImageManifest } from '../registry/manifest-schema';
import { ollamaDisplayName, ollamaManifestPath } from '../sources/ollama-name';
import { artifactName, blobRelPath, inside, manifestRelPath } from './ollama-layout';

// Offline side: the bundle's ollama/ folder (manifests + blobs, names FAT-safe) copied into an
// OLLAMA_MODELS folder under the names Ollama reads. Every blob is read once from the bundle and
// proven as it is written (temp file + rename); a model's manifest is written only once all its blobs are in place, so
// Ollama never sees a half-restored model. A failure removes the blobs written for that model.

export interface RestoreOptions {
  /** Write the manifest folder of a `host:port` registry as `host%3A<port>` (default: on Windows only). */
  fatSafeNames?: boolean;
}

const MAX_MANIFEST = 4 << 20;

export const ollamaRestoreItemId = (a: OllamaArtifact): string => `ollama-restore:${a.name}`;

interface Blob {
  digest: string;
  size: number;
  rel: string;
  /** False when the bundle leaves the blob out (a delta): it must already be in OLLAMA_MODELS. */
  inBundle: boolean;
}

/** The manifest bytes from the bundle, checked against the artifact's digest, and the blobs it names. */
async function readModel(bundleDir: string, a: OllamaArtifact): Promise<{ bytes: Buffer; blobs: Blob[]; size: number }> {
  const name = artifactName(a);
  const rel = ollamaManifestPath(name, true);
  const entry = a.files.find((f) => f.path === rel);
  if (!entry) throw new FerryError(`Bundle ${bundleDir}: Ollama model ${a.name} lists no manifest ${a.dir}/${rel}`, 'Re-create the bundle; nothing of this model was restored.');
  if (entry.size > MAX_MANIFEST) throw new FerryError(`Bundle ${bundleDir}: ${a.dir}/${rel} is larger than 4 MiB`, 'This is not an Ollama manifest.');
  const file = inside(resolve(bundleDir, a.dir), rel);
  const bytes = await readMediaFile(resolve(bundleDir), relative(resolve(bundleDir), file), 'ollama-manifest');
  const hex = createHash('sha256').update(bytes).digest('hex');
  if (hex !== a.digest.slice(7) || hex !== entry.sha256) {
    throw new FerryError(`Ollama model ${a.name}: manifest ${file} has sha256 ${hex}, the bundle records ${a.digest}; nothing of ${a.name} was restored`, `Run "ferry verify ${bundleDir}" and bring the bundle again.`, 'IntegrityError');
  }
  const m = parseImageManifest(bytes, `${a.name} (${file})`);
  const blobs = new Map<string, Blob>();
  for (const d of [m.config, ...m.layers]) {
    const blobRel = blobRelPath(d.digest, a.name);
    const listed = a.files.find((f) => f.path === blobRel);
    if (listed && (listed.size !== d.size || listed.sha256 !== d.digest.slice(7))) {
      throw new FerryError(`Ollama model ${a.name}: blob ${d.digest} (${d.size} bytes) is listed in the bundle as ${a.dir}/${blobRel} with other contents; nothing of ${a.name} was restored`, 'Re-create the bundle from a complete Ollama models folder.');
    }
    blobs.set(d.digest, { digest: d.digest, size: d.size, rel: blobRel, inBundle: listed !== undefined });
  }
  return { bytes, blobs: [...blobs.values()], size: m.config.size + m.layers.reduce((s, l) => s + l.size, 0) };
}

/** True when `file` is a regular file of `size` bytes whose sha256 is `hex` (re-read, not trusted by name). */
const identical = (file: string, size: number, hex: string, signal?: AbortSignal): Promise<boolean> => holdsVerified(file, { size, sha256: hex }, signal);

async function restoreOne(bundleDir: string, a: OllamaArtifact, root: string, progress: Progress, fatSafe: boolean): Promise<OllamaRestored> {
  const { bytes, blobs, size } = await readModel(bundleDir, a);
  const name = artifactName(a);
  const itemId = ollamaRestoreItemId(a);
  progress.item(itemId, `restore ${a.name}`, bytes.length + blobs.reduce((s, b) => s + b.size, 0));
  progress.itemState(itemId, 'running');
  const written: string[] = [];
  let skipped = 0;
  let bytesWritten = 0;
  const manifestFile = inside(root, manifestRelPath(name, fatSafe));
  // The destination review showed, confined to OLLAMA_MODELS: no symbolic link on the way to the manifest or the blobs.
  const dest = ollamaDestination(a, root);
  await confinedPath(fatSafe ? { ...dest, parts: manifestRelPath(name, true).split('/') } : dest);
  await confinedPath({ kind: 'ollama', root, parts: ['blobs'], display: `${root}/blobs` });
  // Blobs the bundle leaves out must already be here, checked before anything is written.
  for (const b of blobs.filter((x) => !x.inBundle)) {
    if (!(await identical(inside(root, b.rel), b.size, b.digest.slice(7), progress.signal))) {
      progress.itemState(itemId, 'failed');
      throw new FerryError(`Ollama model ${a.name}: blob ${b.digest} (${b.size} bytes) is neither in the bundle nor in ${root}; nothing of ${a.name} was restored`, 'Bring the full bundle (or a delta made against this station\'s current inventory).', 'MissingBlob');
    }
  }
  try {
    for (const b of blobs) {
      const dest = inside(root, b.rel);
      if (await identical(dest, b.size, b.digest.slice(7), progress.signal)) {
        skipped++;
        progress.advance(b.size, itemId);
        continue;
      }
      const src = inside(resolve(bundleDir, a.dir), b.rel);
      try {
        const rel = relative(resolve(bundleDir), src);
        await writeVerified(verifiedChunks(resolve(bundleDir), rel, { sha256: b.digest.slice(7), size: b.size }, { signal: progress.signal, bundleDir }), dest, { sha256: b.digest.slice(7), size: b.size }, { signal: progress.signal, onBytes: (n) => progress.advance(n, itemId), sourceProven: true });
      } catch (err) {
        if (err instanceof CanceledError) throw err;
        if (err instanceof DeliveryMismatchError) throw err.within(`Ollama model ${a.name}: blob ${b.digest}`, `nothing of ${a.name} was restored`);
        throw new FerryError(
          `Ollama model ${a.name}: blob ${b.digest} (${src}) does not match the bundle (${(err as Error).message}); nothing of ${a.name} was restored`,
          `Run "ferry verify ${bundleDir}" and bring the bundle again.`,
          'IntegrityError',
        );
      }
      written.push(dest);
      bytesWritten += b.size;
    }
    // Only now, with every blob in place, does Ollama get to see the model.
    const hex = a.digest.slice(7);
    if (await identical(manifestFile, bytes.length, hex)) progress.advance(bytes.length, itemId);
    else {
      await writeVerified((async function* () { yield bytes; })(), manifestFile, { sha256: hex, size: bytes.length });
      progress.advance(bytes.length, itemId);
      bytesWritten += bytes.length;
    }
  } catch (err) {
    progress.itemState(itemId, 'failed');
    for (const f of written) await rm(f, { force: true });
    throw err;
  }
  progress.itemState(itemId, written.length === 0 && bytesWritten === 0 ? 'skipped' : 'done');
  return { name: ollamaDisplayName(name), digest: a.digest, size, manifest: manifestFile, blobsWritten: written.length, blobsSkipped: skipped, bytesWritten };
}

/**
 * Restores the bundle's Ollama models into `ollamaModelsDir` (what Ollama reads as OLLAMA_MODELS).
 * Blobs already there with the same digest are kept; a model with any bad blob is refused, naming
 * the model and the blob, and nothing of it is left behind. Models are restored one after another.
 */
export async function restoreOllama(bundleDir: string, artifacts: OllamaArtifact[], ollamaModelsDir: string, progress: Progress, opts: RestoreOptions = {}, out: OllamaRestored[] = []): Promise<OllamaRestored[]> {
  const root = resolve(ollamaModelsDir);
  const fatSafe = opts.fatSafeNames ?? process.platform === 'win32';
  for (const a of artifacts) {
    if (progress.signal.aborted) throw new CanceledError();
    out.push(await restoreOne(resolve(bundleDir), a, root, progress, fatSafe));
  }
  return out;
}

/** The folder a recipe's `${artifact.<ollama id>}` names on the offline host: `<modelsDir>/ollama`. */
export function ollamaModelsDirFor(modelsDir: string): string {
  return join(resolve(modelsDir), 'ollama');
}
