import { FerryError } from '../../../shared/errors';
import { readManifest } from '../../bundle/manifest-io';
import { parseRegistryTarget } from '../../bundle/registry-target';
import { storedCredentials } from '../../credentials/credential-store';
import { bundleImages, bundleModels, deliverModels, deliverToEngine, deliverToRegistry, type Delivery } from '../../deliver/deliver';
import type { Credentials } from '../../registry/auth';
import { imageRef } from '../plan/install-refs';
import type { StepEnv, StepOutcome } from './step-env';

// Steps 2 and 3: images into the internal registry (or the engine), weights into the models dir,
// both through the one delivery (deliver/): each bundle file read once and proven as it streams.

/** The registry login: the request's user with the password held in memory, else the station's stored login. */
export function registryCredentials(env: StepEnv): Credentials | undefined {
  const { registry, username } = env.record.request;
  if (!registry) return undefined;
  const host = parseRegistryTarget(registry).registry;
  const stored = storedCredentials(env.db, env.dataDir)(host);
  if (!username) return stored;
  if (env.password !== undefined) return { username, password: env.password };
  if (stored && stored.username === username) return stored;
  throw new FerryError(`The password for ${username} at ${host} is needed again (passwords are never stored with an install).`, 'Enter the registry password (CLI: --password-stdin) and run the step again.', 'PasswordNeeded');
}

/** The install's delivery context: its bundle, custody with the install's id. */
export async function installDelivery(env: StepEnv): Promise<Delivery> {
  const { plan } = env.record;
  const { manifest } = await readManifest(plan.bundleDir);
  return { dir: plan.bundleDir, manifest, custody: env.custody, progress: env.progress, details: { installId: env.installId } };
}

export async function pushStep(env: StepEnv): Promise<StepOutcome> {
  const { request, plan } = env.record;
  const d = await installDelivery(env);
  const byDigest = new Map(plan.images.map((i) => [i.digest, i]));
  const artifacts = bundleImages(d.manifest).filter((a) => byDigest.has(a.digest));
  if (request.registry) {
    // The recipe's target names the repository in the internal registry (e.g. ai-gateway).
    const renamed = artifacts.map((a) => ({ ...a, repository: byDigest.get(a.digest)!.target }));
    const pushed = await deliverToRegistry(d, renamed, { registry: request.registry, insecureRegistries: request.insecureRegistries, caFile: request.caFile, credentials: registryCredentials(env) });
    const images = pushed.map((p, i) => {
      const img = byDigest.get(renamed[i]!.digest)!;
      env.log(`pushed ${p.target} ${p.digest} (${p.blobsUploaded} uploaded, ${p.blobsSkipped} already there)`);
      return { id: img.id, reference: imageRef(img, request.registry), digest: p.digest, uploaded: p.blobsUploaded, skipped: p.blobsSkipped };
    });
    return { result: { registry: request.registry, images }, summary: `${images.length} image(s) in ${request.registry}` };
  }
  const loaded = await deliverToEngine(d, artifacts, env.docker());
  const images = loaded.map((l) => ({ id: byDigest.get(l.digest)!.id, reference: l.tag, digest: l.digest, imageId: l.imageId }));
  for (const i of images) env.log(`loaded ${i.reference} ${i.imageId}`);
  return { result: { engine: true, images }, summary: `${images.length} image(s) loaded into the engine` };
}

export async function modelsStep(env: StepEnv): Promise<StepOutcome> {
  const { request, plan } = env.record;
  const d = await installDelivery(env);
  const repos = new Set(plan.models.map((m) => m.repo));
  const models = bundleModels(d.manifest).filter((m) => repos.has(m.repo));
  const placed = await deliverModels(d, models, request.modelsDir, env.pool, { installId: env.installId, bundleId: plan.bundleId });
  for (const p of placed) env.log(`placed ${p.repo} → ${p.dir} (${p.files} files, ${p.bytes} bytes)`);
  return { result: { models: placed.map((p) => ({ id: plan.models.find((m) => m.repo === p.repo)?.id, ...p })) }, summary: placed.map((p) => `${p.repo} → ${p.dir}`).join(', ') };
}
