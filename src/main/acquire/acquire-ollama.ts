import { join } from 'node:path';
import { FerryError } from '../../shared/errors';
import type { BundleFile, OllamaArtifact } from '../bundle/manifest-schema';
import type { Progress } from '../jobs/progress';
import { writeVerified } from '../io/verified-write';
import type { LockDescriptor, LockOllama } from '../recipes/lock-schema';
import { findOllamaBlob } from '../sources/ollama-dir';
import { OLLAMA_DIR, ollamaBlobPath, ollamaManifestPath } from '../sources/ollama-name';
import { copyVerified, fetchRegistryBlob } from './blob-fetch';
import { Meter, type AcquireContext, type Task } from './tasks';
import { lstat } from 'node:fs/promises';

// Ollama models land in the bundle exactly as in an Ollama models folder (ollama/manifests/…,
// ollama/blobs/sha256-<hex>), so the offline side copies the folder into ~/.ollama/models.

export const ollamaItemId = (o: LockOllama): string => `ollama:${o.model}`;

export function declareOllamaItems(models: LockOllama[], progress: Progress): void {
  const counted = new Set<string>();
  for (const o of models) {
    const own = [o.config, ...o.layers].filter((d) => !counted.has(d.digest) && counted.add(d.digest));
    progress.item(ollamaItemId(o), `ollama ${o.model}`, Buffer.byteLength(o.manifest, 'base64') + own.reduce((s, d) => s + d.size, 0));
  }
}

export function ollamaTasks(models: LockOllama[], ctx: AcquireContext): Task[] {
  const owner = new Map<string, { o: LockOllama; desc: LockDescriptor }>();
  for (const o of models) for (const desc of [o.config, ...o.layers]) if (!owner.has(desc.digest)) owner.set(desc.digest, { o, desc });
  return [...owner.values()].map(({ o, desc }) => ({
    itemId: ollamaItemId(o),
    run: async () => {
      const dest = join(ctx.dir, OLLAMA_DIR, ...ollamaBlobPath(desc.digest).split('/'));
      const local = o.from === 'ollama-dir' ? await findOllamaBlob(o.path!, desc.digest, desc.size) : undefined;
      const meter = new Meter(ctx, ollamaItemId(o), o.from === 'ollama-dir');
      const st = await lstat(dest).catch(() => undefined);
      if (st?.isFile() && st.size === desc.size) return meter.reused(desc.size);
      if (o.from === 'ollama-dir') {
        if (!local) throw new FerryError(`${o.model}: blob ${desc.digest} is no longer in ${o.path}`, 'Pull the model again with ollama, or resolve again.');
        await copyVerified(ctx, local, dest, { sha256: desc.digest.slice(7), size: desc.size }, meter);
      } else await fetchRegistryBlob(ctx, o, desc, dest, meter);
    },
  }));
}

export async function finishOllama(models: LockOllama[], dir: string, progress: Progress): Promise<{ artifacts: OllamaArtifact[]; files: BundleFile[] }> {
  const artifacts: OllamaArtifact[] = [];
  const files: BundleFile[] = [];
  for (const o of models) {
    const bytes = Buffer.from(o.manifest, 'base64');
    const rel = ollamaManifestPath(o);
    const written = await writeVerified((async function* () { yield bytes; })(), join(dir, OLLAMA_DIR, ...rel.split('/')), { sha256: o.digest.slice(7), size: bytes.length });
    progress.advance(bytes.length, ollamaItemId(o));
    progress.itemState(ollamaItemId(o), 'done');
    const own = [{ path: rel, size: bytes.length, sha256: written.sha256 }, ...[o.config, ...o.layers].map((d) => ({ path: ollamaBlobPath(d.digest), size: d.size, sha256: d.digest.slice(7) }))];
    files.push(...own.map((f) => ({ ...f, path: `${OLLAMA_DIR}/${f.path}` })));
    artifacts.push({ kind: 'ollama', name: o.model, source: `${o.registry}/${o.repository}:${o.tag}`, registry: o.registry, repository: o.repository, tag: o.tag, digest: o.digest, dir: OLLAMA_DIR, size: o.size, files: [...new Map(own.map((f) => [f.path, f])).values()] });
  }
  return { artifacts, files };
}
