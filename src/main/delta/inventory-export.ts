import { join, resolve } from 'node:path';
import { FerryError } from '../../shared/errors';
import { isoWithOffset } from '../core/clock';
import { mapLimit } from '../core/concurrency';
import { isSafePath } from '../bundle/safe-path';
import { walk } from '../bundle/walk';
import type { HashPool } from '../hash/hash-pool';
import { isImageManifestMediaType, isIndexMediaType } from '../registry/media-types';
import { parseImageManifest, parseIndex } from '../registry/manifest-schema';
import type { RegistryClient } from '../registry/registry-client';
import { INVENTORY_FORMAT, type Inventory, type InventoryManifest, type InventoryModel, type InventoryRepository } from './inventory-schema';

export interface ExportInventoryOptions {
  /** Client for the internal registry; omitted when only models are listed. */
  client?: RegistryClient;
  /** HOST[:PORT][/PREFIX] as given; only repositories under PREFIX are listed. */
  registry?: string;
  prefix?: string;
  modelsDir?: string;
  pool: HashPool;
  station: string;
  signer: Inventory['signer'];
  signal?: AbortSignal;
}

const CONCURRENCY = 4;

/** Lists what the offline side holds: every image under the prefix (tags, manifests, blobs) and every model file with its sha256. */
export async function exportInventory(o: ExportInventoryOptions): Promise<Inventory> {
  const repositories = o.client ? await listRegistry(o.client, o.prefix ?? '', o.signal) : [];
  const models = o.modelsDir ? await listModels(o.modelsDir, o.pool, o.signal) : [];
  return {
    format: INVENTORY_FORMAT,
    station: o.station,
    createdAt: isoWithOffset(),
    ...(o.registry ? { registry: o.registry } : {}),
    repositories,
    ...(o.modelsDir ? { modelsDir: resolve(o.modelsDir) } : {}),
    models,
    signer: o.signer,
  };
}

async function listRegistry(client: RegistryClient, prefix: string, signal?: AbortSignal): Promise<InventoryRepository[]> {
  const all = await client.listRepositories({ signal });
  const under = all.filter((r) => prefix === '' || r.startsWith(`${prefix}/`)).sort();
  return mapLimit(under, CONCURRENCY, async (name) => {
    const tags = (await client.listTags(name, { signal })).sort();
    const manifests = new Map<string, InventoryManifest>();
    const tagged: InventoryRepository['tags'] = [];
    for (const tag of tags) {
      const top = await client.getManifest(name, tag, { signal });
      tagged.push({ tag, digest: top.digest });
      const children = isIndexMediaType(top.mediaType) ? parseIndex(top.bytes, `${client.registry}/${name}:${tag}`).manifests.map((m) => m.digest) : [];
      for (const fetched of [top, ...(await Promise.all(children.filter((d) => !manifests.has(d)).map((d) => client.getManifest(name, d, { signal }))))]) {
        if (!isImageManifestMediaType(fetched.mediaType) || manifests.has(fetched.digest)) continue;
        const m = parseImageManifest(fetched.bytes, `${client.registry}/${name}@${fetched.digest}`);
        manifests.set(fetched.digest, {
          digest: fetched.digest,
          mediaType: fetched.mediaType,
          config: { digest: m.config.digest, size: m.config.size },
          layers: m.layers.map((l) => ({ digest: l.digest, size: l.size })),
        });
      }
    }
    return { name, tags: tagged, manifests: [...manifests.values()] };
  });
}

/** `<dir>/<org>/<name>/<files…>`, as `ferry import --models-dir` places them; every file hashed. */
async function listModels(modelsDir: string, pool: HashPool, signal?: AbortSignal): Promise<InventoryModel[]> {
  const root = resolve(modelsDir);
  const entries = await walk(root).catch((err: Error) => {
    throw new FerryError(`Cannot read models directory ${root}: ${err.message}`, 'Give the folder models were placed in (--models-dir).');
  });
  const byRepo = new Map<string, InventoryModel['files']>();
  const files = entries.filter((e) => e.kind === 'file' && e.path.split('/').length >= 3);
  const hashed = await mapLimit(files, CONCURRENCY, async (e) => ({ e, h: await pool.hashFile(join(root, e.path), { signal }) }));
  for (const { e, h } of hashed) {
    const parts = e.path.split('/');
    const repo = `${parts[0]}/${parts[1]}`;
    const path = parts.slice(2).join('/');
    if (!isSafePath(path) || path.endsWith('.tmp')) continue;
    byRepo.set(repo, [...(byRepo.get(repo) ?? []), { path, size: h.size, sha256: h.sha256 }]);
  }
  return [...byRepo.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([repo, f]) => ({ repo, files: f }));
}
