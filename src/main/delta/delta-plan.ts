import type { BundleDelta } from '../bundle/manifest-schema';
import type { Lock } from '../recipes/lock-schema';
import type { Inventory } from './inventory-schema';

// Which blobs and model files a bundle can leave out because the offline side already has
// them (by its signed inventory). The manifest records each omission; the offline side checks
// they are all present before it accepts the delta.

export interface OmittedBlob {
  digest: string;
  size: number;
  /** A repository of the offline registry that holds it (the import mounts from there). */
  repository?: string;
}

export interface OmittedModelFile {
  repo: string;
  path: string;
  size: number;
  sha256: string;
}

export interface DeltaPlan {
  inventorySha256: string;
  station: string;
  omitted: OmittedBlob[];
  omittedModelFiles: OmittedModelFile[];
  /** Digests of `omitted`, for the acquirer. */
  omitBlobs: Set<string>;
  /** `modelFileKey` of `omittedModelFiles`. */
  omitModelFiles: Set<string>;
}

export const modelFileKey = (repo: string, path: string): string => `${repo}\0${path}`;

const lastPart = (repo: string): string => repo.split('/').pop()!;

/** Where each blob is held: digest → size and the repositories that list it. */
function inventoryBlobs(inv: Inventory): Map<string, { size: number; repositories: string[] }> {
  const blobs = new Map<string, { size: number; repositories: string[] }>();
  for (const r of inv.repositories) {
    for (const m of r.manifests) {
      for (const b of [m.config, ...m.layers]) {
        const have = blobs.get(b.digest);
        if (!have) blobs.set(b.digest, { size: b.size, repositories: [r.name] });
        else if (!have.repositories.includes(r.name)) have.repositories.push(r.name);
      }
    }
  }
  return blobs;
}

/**
 * Leaves out every config and layer blob the inventory lists with the same size, and every
 * model file present under the same repo and path with the same sha256. Image manifests are
 * always carried (small, and the push needs their exact bytes); so is everything a derived
 * image is built from, since the build reads it.
 */
export function planDelta(lock: Pick<Lock, 'images' | 'models'> & { derived?: Lock['derived'] }, inv: Inventory, inventorySha256: string): DeltaPlan {
  const held = inventoryBlobs(inv);
  const bases = new Set((lock.derived ?? []).map((d) => d.from));
  const keep = new Set(lock.images.filter((i) => bases.has(i.id)).flatMap((i) => [i.config.digest, ...i.layers.map((l) => l.digest)]));
  const omitted = new Map<string, OmittedBlob>();
  for (const img of lock.images) {
    const want = lastPart(img.target ?? img.repository);
    for (const d of [img.config, ...img.layers]) {
      const h = held.get(d.digest);
      if (!h || h.size !== d.size || keep.has(d.digest) || omitted.has(d.digest)) continue;
      const repository = h.repositories.find((r) => lastPart(r) === want) ?? h.repositories[0];
      omitted.set(d.digest, { digest: d.digest, size: d.size, ...(repository ? { repository } : {}) });
    }
  }
  const onDisk = new Map<string, { size: number; sha256: string }>();
  for (const m of inv.models) for (const f of m.files) onDisk.set(modelFileKey(m.repo, f.path), f);
  const omittedModelFiles: OmittedModelFile[] = [];
  for (const m of lock.models) {
    for (const f of m.files) {
      const have = onDisk.get(modelFileKey(m.repo, f.path));
      if (f.sha256 && have && have.sha256 === f.sha256 && have.size === f.size) omittedModelFiles.push({ repo: m.repo, path: f.path, size: f.size, sha256: f.sha256 });
    }
  }
  return {
    inventorySha256,
    station: inv.station,
    omitted: [...omitted.values()],
    omittedModelFiles,
    omitBlobs: new Set(omitted.keys()),
    omitModelFiles: new Set(omittedModelFiles.map((f) => modelFileKey(f.repo, f.path))),
  };
}

/** Bytes a delta leaves out. */
export function omittedBytes(p: Pick<DeltaPlan, 'omitted' | 'omittedModelFiles'>): number {
  return p.omitted.reduce((s, b) => s + b.size, 0) + p.omittedModelFiles.reduce((s, f) => s + f.size, 0);
}

/** What the acquirer leaves out, from a plan. */
export function acquireOmissions(p: DeltaPlan): { blobs: Set<string>; modelFiles: Set<string>; modelSha256: Map<string, string> } {
  return { blobs: p.omitBlobs, modelFiles: p.omitModelFiles, modelSha256: new Map(p.omittedModelFiles.map((f) => [modelFileKey(f.repo, f.path), f.sha256])) };
}

/** The manifest's `delta` record: omissions, the inventory it was made against, carried vs full size. */
export function deltaRecord(p: DeltaPlan, inv: Inventory, carriedBytes: number): BundleDelta {
  return {
    inventorySha256: p.inventorySha256,
    station: p.station,
    signer: { name: inv.signer.name, fingerprint: inv.signer.fingerprint },
    omitted: p.omitted,
    omittedModelFiles: p.omittedModelFiles,
    bytes: carriedBytes,
    fullBytes: carriedBytes + omittedBytes(p),
  };
}
