import { lstat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { FerryError } from '../../shared/errors';
import { targetRepository, type RegistryTarget } from '../bundle/registry-target';
import type { BundleDelta, ImageArtifact, ModelArtifact } from '../bundle/manifest-schema';
import type { HashPool } from '../hash/hash-pool';
import type { OciLayout } from '../oci/layout';
import type { Descriptor, RegistryClient } from '../registry/registry-client';

// Before a delta is accepted, everything it leaves out must already be on the offline side:
// blobs in the target registry (mounted from another repository of it when that one holds
// them), model files in the models directory with their sha256. Anything missing is named
// and nothing is pushed or placed.

export interface PlannedImage {
  a: ImageArtifact;
  /** The image's config and layers, from its manifest. */
  blobs: Descriptor[];
}

interface Absent {
  image: ImageArtifact;
  repo: string;
  desc: Descriptor;
  role: string;
}

export interface AbsentBlobsResult {
  /** Blobs not in the bundle that the target repository already held. */
  present: number;
  /** Blobs mounted into the target repository from another repository of the registry. */
  mounted: number;
}

const MAX_NAMED = 10;

/**
 * Checks every config/layer blob the bundle does not carry (a delta's omissions) against the
 * target registry: HEAD in the target repository, else HEAD in the repository the delta names
 * (or one checked earlier) and a cross-repository mount. Throws naming every missing blob.
 */
export async function ensureAbsentBlobs(plans: PlannedImage[], layout: OciLayout, client: RegistryClient, target: RegistryTarget, delta: BundleDelta | undefined, signal?: AbortSignal): Promise<AbsentBlobsResult> {
  const hints = new Map((delta?.omitted ?? []).map((o) => [o.digest, o.repository]));
  const absent: Absent[] = [];
  for (const { a, blobs } of plans) {
    const repo = targetRepository(target, a.target ?? a.repository);
    for (const [i, desc] of blobs.entries()) {
      if (await layout.hasBlob(desc.digest, desc.size)) continue;
      absent.push({ image: a, repo, desc, role: i === 0 ? 'config' : `layer ${i}` });
    }
  }
  if (absent.length === 0) return { present: 0, mounted: 0 };
  const holders = new Map<string, string>();
  const mounts: { x: Absent; from: string }[] = [];
  const missing: Absent[] = [];
  let present = 0;
  for (const x of absent) {
    if (await client.blobExists(x.repo, x.desc.digest, { signal })) {
      present++;
      holders.set(x.desc.digest, x.repo);
      continue;
    }
    const candidates = [holders.get(x.desc.digest), hints.get(x.desc.digest)].filter((r): r is string => !!r && r !== x.repo);
    let from: string | undefined;
    for (const c of candidates) if (!from && (await client.blobExists(c, x.desc.digest, { signal }))) from = c;
    if (from) {
      holders.set(x.desc.digest, from);
      mounts.push({ x, from });
    } else missing.push(x);
  }
  if (missing.length > 0) {
    const named = missing.slice(0, MAX_NAMED).map((m) => `${m.desc.digest} (${m.role} of ${m.image.source}, ${m.desc.size} bytes, for ${client.registry}/${m.repo})`);
    throw new FerryError(
      `${delta ? 'Delta bundle' : 'Bundle'}: ${missing.length} blob(s) it does not carry are not in registry ${client.registry}: ${named.join('; ')}${missing.length > MAX_NAMED ? `; and ${missing.length - MAX_NAMED} more` : ''}; nothing was pushed.`,
      delta
        ? `This delta was made against the inventory of ${delta.station}. Push into the registry that inventory lists, import the full bundle first, or make a new delta from a fresh "ferry inventory export" of this registry.`
        : 'The bundle is incomplete; verify it and bring a complete copy.',
      'DeltaIncomplete',
    );
  }
  for (const { x, from } of mounts) {
    const open = (): AsyncIterable<Uint8Array> => {
      throw new FerryError(`Registry ${client.registry} did not mount ${x.desc.digest} from ${from} into ${x.repo}, and the bundle does not carry it.`, 'Check that the login may pull from both repositories, or import the full bundle.');
    };
    await client.pushBlob(x.repo, x.desc, open, { signal, mountFrom: from });
  }
  return { present, mounted: mounts.length };
}

/** Every model file a delta leaves out must be in `<modelsDir>/<org>/<name>/<path>` with its sha256. */
export async function ensureOmittedModelFiles(delta: BundleDelta | undefined, modelsDir: string, pool: HashPool, signal?: AbortSignal): Promise<number> {
  if (!delta?.omittedModelFiles.length) return 0;
  const root = resolve(modelsDir);
  const problems: string[] = [];
  for (const f of delta.omittedModelFiles) {
    const path = resolve(root, f.repo, f.path);
    if (!path.startsWith(root + sep)) {
      problems.push(`${f.repo}/${f.path}: would be outside ${root}`);
      continue;
    }
    const st = await lstat(path).catch(() => undefined);
    if (!st?.isFile()) {
      problems.push(`${path}: missing (model ${f.repo}, sha256 ${f.sha256})`);
      continue;
    }
    const h = await pool.hashFile(path, { signal });
    if (h.sha256 !== f.sha256) problems.push(`${path}: sha256 ${h.sha256}, the delta expects ${f.sha256} (model ${f.repo})`);
  }
  if (problems.length > 0) {
    throw new FerryError(
      `Delta bundle: ${problems.length} model file(s) it does not carry are not in ${root} as expected: ${problems.slice(0, MAX_NAMED).join('; ')}${problems.length > MAX_NAMED ? `; and ${problems.length - MAX_NAMED} more` : ''}; nothing was placed.`,
      `Give the models directory the inventory of ${delta.station} listed, or import the full bundle.`,
      'DeltaIncomplete',
    );
  }
  return delta.omittedModelFiles.length;
}

/** The model files a bundle carries: a delta's omitted files are already in place and are not copied. */
export function carriedModels(models: ModelArtifact[], delta: BundleDelta | undefined): ModelArtifact[] {
  if (!delta?.omittedModelFiles.length) return models;
  const omitted = new Set(delta.omittedModelFiles.map((f) => `${f.repo}\0${f.path}`));
  return models
    .map((m) => ({ ...m, files: m.files.filter((f) => !omitted.has(`${m.repo}\0${f.path}`)) }))
    .map((m) => ({ ...m, size: m.files.reduce((n, f) => n + f.size, 0) }));
}
