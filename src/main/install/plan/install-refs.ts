import { join, resolve } from 'node:path';
import { dockerTag } from '../../bundle/import';
import { containerDestination, filesDestination, imageDestination, modelDestination } from '../../bundle/destinations';
import { parseRegistryTarget } from '../../bundle/registry-target';
import type { InstallTemplateContext } from './install-template';
import type { StoredRequest } from '../install-store';
import type { PlanImage, StoredPlan } from '../install-types';
import { ollamaArtifactRefs } from '../../ollama/ollama-install';

// What the recipe's `${artifact.ID}` and `${secret.NAME}` mean on this host.

/** `<dataDir>/installs/<id>`: the install's own files (secrets, assembled bundle, agent-config). */
export function installDir(dataDir: string, installId: string): string {
  return join(dataDir, 'installs', installId);
}

export function secretsDir(dataDir: string, installId: string): string {
  return join(installDir(dataDir, installId), 'secrets');
}

/** `<dataDir>/installs/<id>/files/<artifact id>`: where the files step places a bundle's files artifact. */
export function filesDir(dataDir: string, installId: string, artifactId: string): string {
  const root = join(installDir(dataDir, installId), 'files');
  if (artifactId === '') return root;
  const d = filesDestination({ name: artifactId }, root);
  return join(d.root, ...d.parts);
}

/** The install's private network (user-defined bridge): every container joins it under its recipe name. */
export function networkName(recipeId: string): string {
  return `ferry-${recipeId}`;
}

/** Engine name of a recipe's named volume (`pgdata:/var/lib/...`): per recipe, so data outlives installs and upgrades. */
export function volumeName(recipeId: string, name: string): string {
  return `ferry-${recipeId}-${name}`;
}

/** Engine container name for a recipe container. */
export function containerName(name: string): string {
  return containerDestination(name).name;
}

/** Where an image is after the push step: `<registry>/<prefix>/<target>:<tag>` (or `@digest`), or its loaded tag. */
export function imageRef(img: PlanImage, registry: string | undefined): string {
  if (!registry) return dockerTag({ registry: img.registry, repository: img.repository, tag: img.tag, digest: img.digest });
  const target = parseRegistryTarget(registry);
  const d = imageDestination({ name: img.name, repository: img.repository, target: img.target, ...(img.tag ? { tag: img.tag } : {}), digest: img.digest }, target);
  return img.tag ? `${target.registry}/${d.repository}:${img.tag}` : `${target.registry}/${d.repository}@${img.digest}`;
}

/** Where a model's weights are placed: `<modelsDir>/<org>/<name>` (as placeModels lays them out). */
export function modelDir(modelsDir: string, repo: string): string {
  const d = modelDestination({ repo }, resolve(modelsDir));
  return resolve(d.root, ...d.parts);
}

/** The template context for a plan (secret values only when given, for 'value' expansion). */
export function templateContext(plan: StoredPlan, request: StoredRequest, dataDir: string, installId: string, secretValues?: Record<string, string>): InstallTemplateContext {
  const artifacts: Record<string, string> = {};
  for (const img of plan.images) artifacts[img.id] = imageRef(img, request.registry);
  for (const m of plan.models) artifacts[m.id] = modelDir(request.modelsDir, m.repo);
  for (const f of plan.files ?? []) artifacts[f.id] = filesDir(dataDir, installId, f.id);
  Object.assign(artifacts, ollamaArtifactRefs(plan.recipe, plan.params, request.modelsDir));
  const dir = secretsDir(dataDir, installId);
  const secretFiles = Object.fromEntries((plan.recipe.install?.secrets ?? []).map((s) => [s.name, join(dir, `${s.name}.key`)]));
  return { params: plan.params, secretFiles, artifacts, ...(secretValues ? { secretValues } : {}) };
}
