import type { InstallParameterView } from '../../../shared/api-install';
import { FerryError, UsageError } from '../../../shared/errors';
import type { BundleManifest, FilesArtifact, ImageArtifact, ModelArtifact } from '../../bundle/manifest-schema';
import type { Lock } from '../../recipes/lock-schema';
import { bindParams } from '../../recipes/params';
import type { ContainerSpec, ParamValues, Recipe, VerifySpec } from '../../recipes/recipe-schema';
import { whenHolds } from '../../recipes/template';
import { parseRegistryTarget } from '../../bundle/registry-target';
import { agentConfigImageId } from '../steps/step-finish';
import { ollamaArtifactIds, ollamaInstallDir, ollamaStepCommand } from '../../ollama/ollama-install';
import { isAbsolute, resolve } from 'node:path';
import { containerName, filesDir, installDir, templateContext } from './install-refs';
import { expandInstall } from './install-template';
import { stepCommands } from '../steps/step-commands';
import type { StoredRequest } from '../install-store';
import type { PlanFile, PlanImage, PlanModel, PlannedStep, StoredPlan } from '../install-types';

// Pure: a bundle's recipe + lock + the admin's request → the ordered steps, each with what it
// does and the equivalent command. Nothing here touches the engine or the registry.

export interface BoundParams {
  params: ParamValues;
  setByAdmin: string[];
  parameters: InstallParameterView[];
}

/**
 * The values in use: the bundle's acquire parameters (fixed when it was created) and the install
 * parameters given now or defaulted. Unknown names, bad values and missing required ones are named.
 */
export function bindInstallParams(recipe: Recipe, lock: Lock, given: Record<string, string | boolean> = {}): BoundParams {
  const defs = recipe.parameters ?? [];
  for (const [name, v] of Object.entries(given)) {
    const def = defs.find((p) => p.name === name);
    if (def && def.stage !== 'install' && lock.params[name] !== undefined && String(lock.params[name]) !== String(v)) {
      throw new UsageError(
        `Parameter "${name}" was fixed when the bundle was created (${String(lock.params[name])}); it cannot be changed at install.`,
        'Only install parameters can be set here; create a new bundle for another value.',
      );
    }
  }
  const params = bindParams(recipe, { ...lock.params, ...given });
  const installDefs = defs.filter((p) => p.stage === 'install');
  const missing = installDefs.filter((p) => params[p.name] === undefined).map((p) => p.name);
  if (missing.length > 0) {
    throw new UsageError(
      `Install parameter${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} need${missing.length > 1 ? '' : 's'} a value.`,
      missing.map((m) => `--set ${m}=VALUE${descOf(recipe, m)}`).join('; '),
    );
  }
  const parameters: InstallParameterView[] = installDefs.map((p) => ({
    name: p.name,
    ...(p.description ? { description: p.description } : {}),
    type: p.type,
    ...(p.choices ? { choices: p.choices } : {}),
    ...(params[p.name] !== undefined ? { value: params[p.name] } : {}),
    required: p.default === undefined,
  }));
  return { params, setByAdmin: Object.keys(given).filter((k) => installDefs.some((p) => p.name === k)), parameters };
}

/** The install parameter that names where the images were pushed (the GitLab "Image registry" value). */
export const REGISTRY_PARAM = 'internal_registry';

/**
 * The install parameters with `internal_registry` taken from the request's registry (`--registry`)
 * when the recipe has it and it is not given; a given value that names another registry or prefix
 * than the one the images are pushed to is refused, naming both.
 */
export function withRegistryParam(recipe: Recipe, registry: string | undefined, given: Record<string, string | boolean> = {}): Record<string, string | boolean> {
  const def = recipe.parameters?.find((p) => p.name === REGISTRY_PARAM && p.stage === 'install');
  if (!def || !registry) return given;
  const value = given[REGISTRY_PARAM];
  if (value === undefined) return { ...given, [REGISTRY_PARAM]: registry };
  const key = (t: string): string | undefined => {
    try {
      const r = parseRegistryTarget(t);
      return `${r.registry.toLowerCase()}/${r.prefix}`;
    } catch {
      return undefined;
    }
  };
  if (typeof value !== 'string' || key(value) === undefined || key(value) !== key(registry)) {
    throw new UsageError(
      `Parameter "${REGISTRY_PARAM}" is ${String(value)} but the images are pushed to ${registry} (--registry): GitLab would be told another registry than the one holding the images.`,
      `Leave out --set ${REGISTRY_PARAM}=… (it defaults to --registry), or give the same value as --registry.`,
    );
  }
  return given;
}

function descOf(recipe: Recipe, name: string): string {
  const d = recipe.parameters?.find((p) => p.name === name)?.description;
  return d ? ` (${d})` : '';
}

/** The bundle's images and models by the recipe's artifact ids (lock id ↔ manifest digest / repo). */
export function bundleArtifacts(manifest: BundleManifest, lock: Lock): { images: PlanImage[]; models: PlanModel[]; files: PlanFile[]; neededBytes?: number } {
  const mImages = manifest.artifacts.filter((a): a is ImageArtifact => a.kind === 'image');
  const mModels = manifest.artifacts.filter((a): a is ModelArtifact => a.kind === 'model');
  const lockImages = [...lock.images, ...(((lock as { derived?: { id: string; digest?: string; target?: string }[] }).derived) ?? [])];
  const images: PlanImage[] = mImages.map((a) => {
    const l = lockImages.find((x) => x.digest === a.digest && (!x.target || !a.target || x.target === a.target)) ?? lockImages.find((x) => x.target !== undefined && x.target === a.target);
    const id = l?.id ?? a.target ?? a.repository.split('/').pop()!;
    return { id, name: a.name, source: a.source, registry: a.registry, repository: a.repository, target: a.target ?? a.repository.split('/').pop()!, ...(a.tag ? { tag: a.tag } : {}), digest: a.digest };
  });
  const models: PlanModel[] = mModels.map((a) => {
    const l = lock.models.find((x) => x.repo === a.repo && x.revision === a.revision) ?? lock.models.find((x) => x.repo === a.repo);
    return { id: l?.id ?? a.name, repo: a.repo, revision: a.revision, size: a.size, dir: a.dir };
  });
  const files: PlanFile[] = (manifest.extraArtifacts ?? [])
    .filter((a): a is FilesArtifact => a.kind === 'files')
    .map((a) => ({ id: a.name, dir: a.dir, files: a.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })) }));
  const estimates = mModels.map((m) => m.scan?.gpuMemory?.totalBytes).filter((n): n is number => typeof n === 'number');
  return { images, models, files, ...(estimates.length > 0 ? { neededBytes: estimates.reduce((s, n) => s + n, 0) } : {}) };
}

/** The recipe containers whose `when` holds, in dependsOn order (recipe order otherwise). */
export function orderContainers(recipe: Recipe, params: ParamValues): ContainerSpec[] {
  const active = (recipe.install?.containers ?? []).filter((c) => whenHolds(c.when, params));
  const byName = new Map(active.map((c) => [c.name, c]));
  const out: ContainerSpec[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (c: ContainerSpec, path: string[]): void => {
    if (state.get(c.name) === 'done') return;
    if (state.get(c.name) === 'visiting') throw new FerryError(`Recipe ${recipe.id}: containers depend on each other in a cycle (${[...path, c.name].join(' → ')}).`);
    state.set(c.name, 'visiting');
    for (const d of c.dependsOn ?? []) {
      const dep = byName.get(d);
      if (dep) visit(dep, [...path, c.name]);
    }
    state.set(c.name, 'done');
    out.push(c);
  };
  for (const c of active) visit(c, []);
  return out;
}

/** The recipe's stack-level checks whose `when` holds. */
export function activeVerify(recipe: Recipe, params: ParamValues): VerifySpec[] {
  return (recipe.install?.verify ?? []).filter((v) => whenHolds(v.when, params));
}

/**
 * Whether a step needs the container engine: the containers and the checks run through it, the
 * GPU preflight, and loading the images when there is no internal registry to push to.
 */
export function usesEngine(step: Pick<PlannedStep, 'kind'>, request: Pick<StoredRequest, 'registry'>): boolean {
  switch (step.kind) {
    case 'container':
    case 'health':
    case 'egress':
    case 'preflight':
      return true;
    case 'push':
      return !request.registry;
    default:
      return false;
  }
}

export interface LayoutInput {
  installId: string;
  dataDir: string;
  request: StoredRequest;
  engine: 'docker' | 'podman';
  plan: Omit<StoredPlan, 'steps'>;
}

/** The steps, in order, with what each does and its equivalent command. */
export function layoutSteps(input: LayoutInput): PlannedStep[] {
  const { plan, request } = input;
  const cmd = stepCommands(input);
  const containers = orderContainers(plan.recipe, plan.params);
  const secrets = plan.recipe.install?.secrets ?? [];
  const steps: PlannedStep[] = [];
  const add = (s: Omit<PlannedStep, 'command'>, command: string): void => void steps.push({ ...s, command });
  const source = request.volumes?.length ? `the ${request.volumes.length} volume(s)` : `the bundle folder ${request.dir}`;
  add({ id: 'verify', kind: 'verify', title: 'Verify the bundle', description: `Check every file of ${source} against its hashes, the volumes are complete, and the approvals this station requires; records the receipt. Nothing else runs until this passes.`, undoable: false }, cmd.verify());
  if (plan.images.length > 0) {
    const where = request.registry ? `to the internal registry ${request.registry} (digests preserved; blobs it already has are skipped)` : 'into the container engine';
    add({ id: 'push', kind: 'push', title: request.registry ? 'Push images to the internal registry' : 'Load images into the engine', description: `Copy ${plan.images.length} image(s) ${where}.`, undoable: false }, cmd.push());
  }
  if (plan.models.length > 0) add({ id: 'models', kind: 'models', title: 'Place the model weights', description: `Copy the weights of ${plan.models.map((m) => m.repo).join(', ')} into ${request.modelsDir}, each file re-hashed as it is written.`, undoable: false }, cmd.models());
  if (ollamaArtifactIds(plan.recipe, plan.params).length > 0) {
    add({ id: 'ollama', kind: 'ollama', title: 'Restore the Ollama models', description: `Restore the bundle's Ollama models into ${ollamaInstallDir(request.modelsDir)} (OLLAMA_MODELS) with the names Ollama expects, each blob re-hashed as it is written.`, undoable: false }, ollamaStepCommand(plan.bundleDir, request.modelsDir));
  }
  const files = plan.files ?? [];
  if (files.length > 0) {
    add({ id: 'files', kind: 'files', title: 'Place the files', description: `Copy ${files.map((f) => f.id).join(', ')} from the bundle into ${filesDir(input.dataDir, input.installId, '')}, each file re-hashed as it is written; YAML files must parse. Nothing starts before this passes.`, undoable: false }, cmd.files());
  }
  if (containers.some((c) => c.gpu !== undefined && c.gpu !== 'none')) {
    add({ id: 'preflight', kind: 'preflight', title: 'GPU preflight', description: 'Check the engine can hand GPUs to containers (NVIDIA runtime or CDI devices), list the GPUs and their memory, and compare with the model\'s estimate; suggests the tensor-parallel size.', undoable: false }, cmd.preflight());
  }
  if (secrets.length > 0) add({ id: 'secrets', kind: 'secrets', title: 'Generate the keys', description: `Generate ${secrets.map((s) => s.name).join(', ')} on this host (files 0600 in a 0700 folder); only their fingerprints are recorded.`, undoable: false }, cmd.secrets());
  for (const c of containers) {
    add({ id: `container:${c.name}`, kind: 'container', title: `Start ${c.name}`, description: `Pull ${c.image} ${request.registry ? 'from the internal registry' : 'from the engine'} and start the container ${c.name}${c.gpu && c.gpu !== 'none' && request.gpu !== 'none' ? ' with the GPUs' : ''}.`, undoable: true }, cmd.container(c));
  }
  if (containers.some((c) => c.health !== undefined)) add({ id: 'health', kind: 'health', title: 'Wait for health', description: `Poll each container's health checks until green (at most ${request.healthTimeout ?? 600} s each).`, undoable: false }, cmd.health(containers));
  const verify = activeVerify(plan.recipe, plan.params);
  if (verify.length > 0) add({ id: 'verify-stack', kind: 'verify-stack', title: 'Check the stack', description: `Once every container is healthy: ${verify.map((v) => `${v.name} (${v.method ?? 'GET'} ${v.http})`).join(', ')}.`, undoable: false }, cmd.verifyStack(verify));
  if (containers.length > 0) add({ id: 'egress', kind: 'egress', title: 'Egress check', description: `From every container: ${request.egress.outside.join(', ') || '(no outside target)'} must be unreachable${request.egress.internal?.length ? `, ${request.egress.internal.join(', ')} reachable` : ''}.`, undoable: false }, cmd.egress(containers));
  if ((plan.recipe.install?.outputs ?? []).some((o) => whenHolds(o.when, plan.params))) add({ id: 'outputs', kind: 'outputs', title: 'GitLab values', description: 'The values to enter in GitLab (Admin > GitLab Duo), recorded in custody.', undoable: false }, cmd.outputs());
  if (agentConfigImageId(plan.images)) add({ id: 'agent-config', kind: 'agent-config', title: 'Flow execution config', description: 'Write .gitlab/duo/agent-config.yml naming the executor image in the internal registry, and the runner checklist.', undoable: false }, cmd.agentConfig());
  return steps;
}

/**
 * The steps that use container step `stepId`, laid out after it: containers that depend on it
 * (directly or through another), and the health, stack and egress checks (every container's).
 * After the container is undone these no longer hold and must run again.
 */
export function stepsUsing(plan: Pick<StoredPlan, 'recipe' | 'params' | 'steps'>, stepId: string): string[] {
  const index = plan.steps.findIndex((s) => s.id === stepId);
  const undone = plan.steps[index];
  if (!undone || undone.kind !== 'container') return [];
  const containers = orderContainers(plan.recipe, plan.params);
  const users = new Set([undone.id.slice('container:'.length)]);
  for (const c of containers) if ((c.dependsOn ?? []).some((d) => users.has(d))) users.add(c.name);
  const checks = new Set<string>(['health', 'verify-stack', 'egress']);
  return plan.steps
    .slice(index + 1)
    .filter((s) => checks.has(s.kind) || (s.kind === 'container' && users.has(s.id.slice('container:'.length))))
    .map((s) => s.id);
}

// ---- The runtime surface and what needs the admin's explicit allowance (docs/security.md) ----

/** One thing the stack would do that reaches beyond its own folders and containers. */
export interface RuntimeRisk {
  /** The exact allowance that permits it, e.g. `mount:/var/run/docker.sock` or `target:10.0.0.5:80`. */
  allowance: string;
  /** The recipe field, e.g. install.containers[agent].volumes.0. */
  where: string;
  detail: string;
}

const ENGINE_SOCKET = /(?:^|\/)(?:docker|podman|containerd|crio|dockershim)\.sock$/;
const LOOPBACK = /^(?:127(?:\.[0-9]{1,3}){3}|localhost|\[?::1\]?)$/i;

/** Host side of a volume spec (`HOST:CONTAINER[:opts]`), or undefined for a named volume. */
function volumeHost(spec: string): string | undefined {
  const parts = spec.split(':');
  if (parts.length >= 3 && /^[a-zA-Z,]+$/.test(parts[parts.length - 1]!)) parts.pop();
  parts.pop();
  const host = parts.join(':');
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(host) ? undefined : host;
}

const within = (root: string, p: string): boolean => p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);

/**
 * What the recipe would do that needs the admin's allowance: host mounts outside the install's
 * folder and the models folder, the container engine's socket (full control of the host), and
 * health or stack-check URLs that are not the stack's own containers (a loopback address on a
 * port the stack publishes, or a container of the stack by name). Pure; values expanded for this host.
 */
export function runtimeRisks(plan: Omit<StoredPlan, 'steps'>, request: StoredRequest, dataDir: string, installId: string): RuntimeRisk[] {
  const ctx = templateContext({ ...plan, steps: [] }, request, dataDir, installId);
  const roots = [resolve(installDir(dataDir, installId)), resolve(request.modelsDir)];
  const containers = orderContainers(plan.recipe, plan.params);
  const names = new Set(containers.flatMap((c) => [c.name, containerName(c.name)]));
  const ports = new Set(containers.flatMap((c) => (c.ports ?? []).map((p) => p.split(':').slice(-2)[0]!)));
  const risks: RuntimeRisk[] = [];
  const url = (raw: string, where: string): void => {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      risks.push({ allowance: `target:${raw}`, where, detail: `"${raw}" is not a URL Ferry can check` });
      return;
    }
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    const own = (LOOPBACK.test(host) && ports.has(port)) || names.has(host);
    if (!own) risks.push({ allowance: `target:${u.hostname}:${port}`, where, detail: `${raw} is not one of the stack's own containers (a loopback port it publishes, or a container by name)` });
  };
  for (const c of containers) {
    const at = `install.containers[${c.name}]`;
    (c.volumes ?? []).forEach((v, i) => {
      const spec = expandInstall(v, ctx, `${at}.volumes.${i}`, 'display');
      const host = volumeHost(spec);
      if (host === undefined) return;
      const abs = isAbsolute(host) ? resolve(host) : host;
      if (ENGINE_SOCKET.test(abs)) risks.push({ allowance: `mount:${abs}`, where: `${at}.volumes.${i}`, detail: `mounts the container engine's socket ${abs}: full control of the host` });
      else if (!roots.some((r) => within(r, abs))) risks.push({ allowance: `mount:${abs}`, where: `${at}.volumes.${i}`, detail: `mounts the host path ${abs}, outside the install folder and the models folder` });
    });
    const checks = c.health === undefined ? [] : Array.isArray(c.health) ? c.health : [c.health];
    checks.forEach((h, j) => {
      if ('http' in h) url(expandInstall(h.http, ctx, `${at}.health`, 'display'), `${at}.health${Array.isArray(c.health) ? `.${j}` : ''}.http`);
    });
  }
  activeVerify(plan.recipe, plan.params).forEach((v) => url(expandInstall(v.http, ctx, `install.verify[${v.name}].http`, 'display'), `install.verify[${v.name}].http`));
  return risks;
}

/** Refuses the plan while a risk lacks its exact allowance, naming each; returns the allowances used. */
export function requireAllowances(risks: RuntimeRisk[], allow: readonly string[] = []): string[] {
  const given = new Set(allow);
  const missing = risks.filter((r) => !given.has(r.allowance));
  if (missing.length > 0) {
    throw new FerryError(
      `The recipe needs the admin's allowance for: ${missing.map((r) => `${r.where}: ${r.detail}`).join('; ')}. Nothing was planned.`,
      `If this is intended, plan again with ${[...new Set(missing.map((r) => `--allow ${r.allowance}`))].join(' ')} (recorded in custody); otherwise do not install this bundle.`,
      'AllowanceNeeded',
    );
  }
  return [...new Set(risks.map((r) => r.allowance))];
}
