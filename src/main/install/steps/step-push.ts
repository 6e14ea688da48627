import { join } from 'node:path';
import { FerryError, UsageError } from '../../../shared/errors';
import { dockerTag } from '../../bundle/import';
import { IMAGES_DIR, type ImageArtifact, type ModelArtifact } from '../../bundle/manifest-schema';
import { readManifest } from '../../bundle/manifest-io';
import { placeModels } from '../../bundle/place-models';
import { pushImages } from '../../bundle/push-images';
import { parseRegistryTarget } from '../../bundle/registry-target';
import { storedCredentials } from '../../credentials/credential-store';
import { carriedModels, ensureOmittedModelFiles } from '../../delta/delta-check';
import { planDockerArchive } from '../../docker/docker-archive';
import { loadIntoDocker } from '../../docker/docker-loader';
import { OciLayout } from '../../oci/layout';
import type { Credentials } from '../../registry/auth';
import { RegistryClient } from '../../registry/registry-client';
import { imageRef } from '../plan/install-refs';
import type { StepEnv, StepOutcome } from './step-env';

// Steps 2 and 3: images into the internal registry (or the engine), weights into the models dir.

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

export async function pushStep(env: StepEnv): Promise<StepOutcome> {
  const { request, plan } = env.record;
  const { manifest } = await readManifest(plan.bundleDir);
  const byDigest = new Map(plan.images.map((i) => [i.digest, i]));
  const artifacts = manifest.artifacts.filter((a): a is ImageArtifact => a.kind === 'image' && byDigest.has(a.digest));
  const layout = await OciLayout.open(join(plan.bundleDir, IMAGES_DIR));
  if (request.registry) {
    const target = parseRegistryTarget(request.registry);
    const client = new RegistryClient({
      registry: target.registry,
      insecure: (request.insecureRegistries ?? []).includes(target.registry),
      caFile: request.caFile,
      credentials: registryCredentials(env),
    });
    // The recipe's target names the repository in the internal registry (e.g. ai-gateway).
    const renamed = artifacts.map((a) => ({ ...a, repository: byDigest.get(a.digest)!.target }));
    const pushed = await pushImages(renamed, layout, client, target, env.progress, undefined, manifest.delta);
    const images = pushed.map((p, i) => {
      const img = byDigest.get(renamed[i]!.digest)!;
      env.log(`pushed ${p.target} ${p.digest} (${p.blobsUploaded} uploaded, ${p.blobsSkipped} already there)`);
      return { id: img.id, reference: imageRef(img, request.registry), digest: p.digest, uploaded: p.blobsUploaded, skipped: p.blobsSkipped };
    });
    env.custody.append({ type: 'imported', role: 'admin', bundleId: plan.bundleId, details: { installId: env.installId, into: 'registry', registry: request.registry, images: images.map((i) => ({ target: i.reference, digest: i.digest })) } });
    return { result: { registry: request.registry, images }, summary: `${images.length} image(s) in ${request.registry}` };
  }
  if (manifest.delta) {
    throw new UsageError(`Bundle ${plan.bundleDir} is a delta (made against the inventory of ${manifest.delta.station}); it can only go into a registry that holds what it leaves out, not be loaded into the engine.`, 'Plan the install with --registry, or bring the full bundle.');
  }
  const itemId = 'docker:load';
  const wanted = artifacts.map((a) => ({ manifestDigest: a.digest, tag: dockerTag(a) }));
  env.progress.item(itemId, 'load into the engine', (await planDockerArchive(layout.dir, wanted.map((w) => ({ manifestDigest: w.manifestDigest, repoTags: [w.tag] })))).totalBytes);
  const loaded = await loadIntoDocker(env.docker(), layout.dir, wanted, { signal: env.progress.signal, onBytes: (n) => env.progress.advance(n, itemId) });
  env.progress.itemState(itemId, 'done');
  const images = loaded.map((l, i) => ({ id: byDigest.get(artifacts[i]!.digest)!.id, reference: l.tag, digest: artifacts[i]!.digest, imageId: l.imageId }));
  for (const i of images) env.log(`loaded ${i.reference} ${i.imageId}`);
  env.custody.append({ type: 'imported', role: 'admin', bundleId: plan.bundleId, details: { installId: env.installId, into: 'docker', images } });
  return { result: { engine: true, images }, summary: `${images.length} image(s) loaded into the engine` };
}

export async function modelsStep(env: StepEnv): Promise<StepOutcome> {
  const { request, plan } = env.record;
  const { manifest } = await readManifest(plan.bundleDir);
  const repos = new Set(plan.models.map((m) => m.repo));
  const models = manifest.artifacts.filter((a): a is ModelArtifact => a.kind === 'model' && repos.has(a.repo));
  // A delta: the files it leaves out must already be in the models directory with their sha256.
  await ensureOmittedModelFiles(manifest.delta, request.modelsDir, env.pool, env.progress.signal);
  const placed = await placeModels(plan.bundleDir, carriedModels(models, manifest.delta), request.modelsDir, env.progress, { installId: env.installId, bundleId: plan.bundleId });
  for (const p of placed) env.log(`placed ${p.repo} → ${p.dir} (${p.files} files, ${p.bytes} bytes)`);
  env.custody.append({ type: 'imported', role: 'admin', bundleId: plan.bundleId, details: { installId: env.installId, into: 'models', models: placed } });
  return { result: { models: placed.map((p) => ({ id: plan.models.find((m) => m.repo === p.repo)?.id, ...p })) }, summary: placed.map((p) => `${p.repo} → ${p.dir}`).join(', ') };
}
