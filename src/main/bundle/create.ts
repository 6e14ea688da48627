import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CreateBundleRequest } from '../../shared/api';
import { FerryError, UsageError } from '../../shared/errors';
import { isoWithOffset } from '../core/clock';
import type { CustodyStore, Identity } from '../custody/custody-store';
import { parseModelRef } from '../hub/model-ref';
import { DEFAULT_HUB_URL, resolveModel } from '../hub/hub-client';
import { OciLayout } from '../oci/layout';
import { parseReference } from '../registry/reference';
import { RegistryClient } from '../registry/registry-client';
import { acquireImages, declareImageItems, type ImageToAcquire } from './acquire-images';
import { acquireModels, declareModelItems, type ModelToAcquire } from './acquire-models';
import { smallFile, sortFiles } from './bundle-files';
import { scanModels } from './scan-models';
import { writeManifest } from './manifest-io';
import { BUNDLE_FORMAT, IMAGES_DIR, type BundleManifest } from './manifest-schema';
import type { Progress } from './verify';

export { DEFAULT_HUB_URL };
export const DEFAULT_PLATFORM = 'linux/amd64';

export interface CreateDeps {
  custody: CustodyStore;
  identity: Identity;
  version: string;
  hubToken?: string;
}

export interface CreateResult {
  bundleId: string;
  dir: string;
  manifestSha256: string;
  files: number;
  bytes: number;
}

const ROLE = 'operator';

/**
 * Builds a bundle in `<out>.partial` and renames it to `<out>` only when complete, so a
 * failed or cancelled run never leaves something that looks like a finished bundle.
 * Verified blobs in the partial directory are reused by the next run with the same output.
 */
export async function createBundle(req: CreateBundleRequest, deps: CreateDeps, progress: Progress): Promise<CreateResult> {
  if (req.images.length === 0 && req.models.length === 0) throw new UsageError('Nothing to bundle: give at least one image or model.');
  const out = resolve(req.outDir);
  await refuseExisting(out);
  const partial = `${out}.partial`;
  const platform = req.platform || DEFAULT_PLATFORM;
  const hubUrl = (req.hubUrl || DEFAULT_HUB_URL).replace(/\/+$/, '');
  const insecure = new Set(req.insecureRegistries ?? []);
  const imageRefs = req.images.map((source) => ({ source, ref: asUsage(() => parseReference(source)) }));
  const modelRefs = req.models.map((source) => ({ source, ref: asUsage(() => parseModelRef(source)) }));
  const bundleId = randomUUID();

  progress.phase('resolving');
  const clients = new Map<string, RegistryClient>();
  const clientFor = (registry: string): RegistryClient => {
    let c = clients.get(registry);
    if (!c) clients.set(registry, (c = new RegistryClient({ registry, insecure: insecure.has(registry) })));
    return c;
  };
  const images: ImageToAcquire[] = [];
  for (const { source, ref } of imageRefs) {
    const client = clientFor(ref.registry);
    images.push({ source, ref, client, resolved: await client.resolveImage(ref, platform, { signal: progress.signal }) });
  }
  const models: ModelToAcquire[] = [];
  for (const { source, ref } of modelRefs) {
    const resolved = await resolveModel(ref, { hubUrl, accessToken: deps.hubToken, signal: progress.signal });
    models.push({ source: `${hubUrl}/${source}`, hubUrl, accessToken: deps.hubToken, resolved });
  }
  deps.custody.append({
    type: 'resolved',
    role: ROLE,
    bundleId,
    details: {
      platform,
      images: images.map((i) => ({ source: i.source, digest: i.resolved.manifest.digest })),
      models: models.map((m) => ({ repo: m.resolved.repo, requested: m.resolved.requestedRevision, revision: m.resolved.revision })),
    },
  });

  progress.phase('acquiring');
  declareImageItems(images, progress);
  declareModelItems(models, progress);
  await mkdir(partial, { recursive: true });
  const layout = await OciLayout.create(join(partial, IMAGES_DIR));
  const img = await acquireImages(images, layout, progress);
  for (const a of img.artifacts) deps.custody.append({ type: 'acquired', role: ROLE, bundleId, details: { artifact: 'image', source: a.source, digest: a.digest, size: a.size } });
  const mdl = await acquireModels(models, partial, progress);
  for (const a of mdl.artifacts) deps.custody.append({ type: 'acquired', role: ROLE, bundleId, details: { artifact: 'model', repo: a.repo, revision: a.revision, files: a.files.length, size: a.size } });

  const scan = await scanModels(partial, mdl.artifacts, progress, deps.custody, bundleId);

  progress.phase('writing manifest');
  const files = sortFiles([
    ...img.files,
    ...mdl.files,
    await smallFile(partial, `${IMAGES_DIR}/oci-layout`),
    await smallFile(partial, `${IMAGES_DIR}/index.json`),
  ]);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    bundleId,
    createdAt: isoWithOffset(),
    createdBy: { actor: deps.identity.actor, station: deps.identity.station, ...(deps.identity.fingerprint ? { creatorFingerprint: deps.identity.fingerprint } : {}) },
    tool: { name: 'ferry', version: deps.version },
    artifacts: [...img.artifacts, ...mdl.artifacts],
    files,
    scan,
  };
  const manifestSha256 = await writeManifest(partial, manifest);
  await rename(partial, out);
  const bytes = files.reduce((s, f) => s + f.size, 0);
  deps.custody.append({ type: 'created', role: ROLE, bundleId, details: { dir: out, manifestSha256, artifacts: manifest.artifacts.length, files: files.length, bytes } });
  return { bundleId, dir: out, manifestSha256, files: files.length, bytes };
}

/** A reference the user typed that does not parse is bad usage (exit 2), not a failed operation. */
function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FerryError && !(err instanceof UsageError)) throw new UsageError(err.message, err.hint);
    throw err;
  }
}

async function refuseExisting(out: string): Promise<void> {
  const s = await stat(out).catch(() => null);
  if (!s) return;
  if (!s.isDirectory() || (await readdir(out)).length > 0) {
    throw new UsageError(`Output ${out} already exists and is not empty.`, 'Choose a new output directory, or remove the old bundle first.');
  }
  await rm(out, { recursive: true });
}
