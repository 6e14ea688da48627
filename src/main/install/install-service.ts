import { randomUUID } from 'node:crypto';
import { lstat, rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { GpuPreflightView, InstallInspectView, InstallOutputView, InstallRequest, InstallStepView, InstallView } from '../../shared/api-install';
import { FerryError, UsageError } from '../../shared/errors';
import type { Progress } from '../jobs/progress';
import { parseRegistryTarget } from '../bundle/registry-target';
import { storedCredentials } from '../credentials/credential-store';
import type { CustodyStore } from '../custody/custody-store';
import type { Db } from '../db/database';
import { dockerFromEnv } from '../docker/docker-loader';
import type { HashPool } from '../hash/hash-pool';
import { readBundleRecipeInfo, normalizeSource } from './plan/bundle-source';
import { gpuPreflight } from './engine/gpu-preflight';
import { bindInstallParams, bundleArtifacts, layoutSteps, requireAllowances, runtimeRisks, withRegistryParam } from './plan/install-plan';
import { installDir } from './plan/install-refs';
import { agentConfigImageId } from './steps/step-finish';
import { runStep, type RunnerDeps } from './install-runner';
import { InstallStore, storableRequest, type InstallRecord } from './install-store';
import type { StoredPlan } from './install-types';
import { installStatus, stepsThatRan } from './install-status';

export interface InstallServiceDeps {
  db: Db;
  custody: CustodyStore;
  pool: HashPool;
  dataDir: string;
}

/**
 * The guided install: inspect a bundle's recipe, plan the steps (nothing runs), run them one by
 * one or all from the first not done, undo a container. Registry passwords live only in memory.
 */
export class InstallService {
  private readonly store: InstallStore;
  private readonly passwords = new Map<string, string>();
  private readonly runner: RunnerDeps;

  constructor(private readonly deps: InstallServiceDeps) {
    this.store = new InstallStore(deps.db);
    this.runner = { ...deps, store: this.store };
  }

  async inspect(arg: { dir?: string; volumes?: string[] }): Promise<InstallInspectView> {
    const info = await readBundleRecipeInfo(arg);
    const { images, models, neededBytes } = bundleArtifacts(info.manifest, info.lock);
    const installDefs = (info.recipe.parameters ?? []).filter((p) => p.stage === 'install');
    return {
      bundleId: info.manifest.bundleId,
      recipe: { id: info.recipe.id, version: info.recipe.version, title: info.recipe.title },
      parameters: installDefs.map((p) => ({
        name: p.name,
        ...(p.description ? { description: p.description } : {}),
        type: p.type,
        ...(p.choices ? { choices: p.choices } : {}),
        ...(p.default !== undefined ? { value: p.default } : {}),
        required: p.default === undefined,
      })),
      ...(neededBytes !== undefined ? { neededBytes } : {}),
      images: images.map((i) => ({ id: i.id, target: i.target, ...(i.tag ? { tag: i.tag } : {}), digest: i.digest })),
      models: models.map((m) => ({ id: m.id, repo: m.repo, revision: m.revision, size: m.size })),
      gitlab: agentConfigImageId(images) !== undefined || installDefs.some((p) => p.name === 'gitlab_domain'),
    };
  }

  async plan(req: InstallRequest, opts: { custody?: CustodyStore } = {}): Promise<InstallView> {
    const checked = checkRequest(req);
    const info = await readBundleRecipeInfo(checked);
    // Stored with internal_registry filled from --registry, so upgrades and compose export bind the same values.
    const params = withRegistryParam(info.recipe, checked.registry, checked.params);
    const request: InstallRequest = { ...checked, ...(Object.keys(params).length > 0 ? { params } : {}) };
    const bound = bindInstallParams(info.recipe, info.lock, params);
    const installId = randomUUID();
    const bundleDir = request.dir ?? join(installDir(this.deps.dataDir, installId), 'bundle');
    const base: Omit<StoredPlan, 'steps'> = {
      bundleId: info.manifest.bundleId,
      recipe: info.recipe,
      recipeSha256: info.sha256,
      bundleDir,
      ...bound,
      ...bundleArtifacts(info.manifest, info.lock),
      engine: /podman/i.test(request.dockerHost ?? process.env.DOCKER_HOST ?? '') ? 'podman' : 'docker',
    };
    const stored = storableRequest(request);
    // Host mounts, the engine socket and outside health/check targets need the admin's exact allowance (recorded).
    const allowed = requireAllowances(runtimeRisks(base, stored, this.deps.dataDir, installId), request.allow);
    if (allowed.length > 0) (opts.custody ?? this.deps.custody).append({ type: 'install-allowed', role: 'admin', bundleId: base.bundleId, details: { installId, allowances: allowed } });
    const steps = layoutSteps({ installId, dataDir: this.deps.dataDir, request: stored, engine: base.engine, plan: base });
    this.store.create({ id: installId, bundleId: base.bundleId, recipeId: info.recipe.id, request: stored, plan: { ...base, steps } });
    if (req.password !== undefined) this.passwords.set(installId, req.password);
    return this.get(installId);
  }

  get(installId: string): InstallView {
    return this.view(this.store.get(installId));
  }

  list(): InstallView[] {
    return this.store.list().map((r) => this.view(r));
  }

  /** Runs one step, or every step from the first not done, stopping at (and throwing) the first failure. */
  async run(installId: string, opts: { stepId?: string; password?: string; custody?: CustodyStore }, progress: Progress): Promise<InstallView> {
    if (opts.password !== undefined) this.passwords.set(installId, opts.password);
    const password = this.passwords.get(installId);
    const runner = opts.custody ? { ...this.runner, custody: opts.custody } : this.runner; // the caller's signed custody view
    const run = (stepId: string): Promise<unknown> => runStep(runner, installId, stepId, { ...(password !== undefined ? { password } : {}), progress });
    if (opts.stepId) {
      await run(opts.stepId);
      return this.get(installId);
    }
    const rec = this.store.get(installId);
    const states = this.store.steps(installId);
    const first = rec.plan.steps.findIndex((s) => !['done', 'skipped'].includes(states.get(s.id)?.state ?? 'pending'));
    if (first < 0) return this.get(installId);
    // From the first step not done on: later steps run again too (each is safe to re-run), so an
    // undone container comes back and is checked again.
    for (const id of rec.plan.steps.slice(first).map((s) => s.id)) {
      const current = this.store.get(installId).plan.steps;
      if (!current.some((s) => s.id === id)) continue;
      await run(id);
    }
    return this.get(installId);
  }

  /** Undoes a container step; named volumes (data) are kept unless `removeVolumes`. */
  async undo(installId: string, stepId: string, progress: Progress, opts: { removeVolumes?: boolean; custody?: CustodyStore } = {}): Promise<InstallView> {
    await runStep(opts.custody ? { ...this.runner, custody: opts.custody } : this.runner, installId, stepId, { progress, undo: true, ...(opts.removeVolumes ? { removeVolumes: true } : {}) });
    return this.get(installId);
  }

  /**
   * Removes an install that never ran (or whose every step that ran was undone): its record and
   * what Ferry generated for it under the data dir (secrets, assembled bundle, files). Nothing
   * else on the host is touched: not the bundle folder, the models folder, images or volumes.
   */
  async remove(installId: string, opts: { custody?: CustodyStore } = {}): Promise<{ installId: string; removed: true }> {
    const rec = this.store.get(installId);
    const view = this.view(rec);
    const ran = stepsThatRan(view.steps);
    if (ran.length > 0) {
      throw new UsageError(
        `Install ${installId} (${view.recipe.title} ${view.recipe.version}) cannot be removed: ${ran.map((id) => `"${id}" is ${view.steps.find((s) => s.id === id)!.state}`).join(', ')}.`,
        ran.every((id) => view.steps.find((s) => s.id === id)!.undoable)
          ? `Undo ${ran.join(', ')} first (ferry install --resume ${installId} --undo STEP), then remove it.`
          : 'Only an install whose steps never ran (or were all undone) can be removed: what its steps did on this host stays on record.',
      );
    }
    const folder = await removeOwnFolder(installDir(this.deps.dataDir, installId));
    this.store.remove(installId);
    this.passwords.delete(installId);
    (opts.custody ?? this.deps.custody).append({ type: 'install.removed', role: 'admin', bundleId: rec.bundleId, details: { installId, recipe: rec.recipeId, ...(folder ? { folder } : {}) } });
    return { installId, removed: true };
  }

  async preflight(opts: { dockerHost?: string; neededBytes?: number }): Promise<GpuPreflightView> {
    return gpuPreflight(dockerFromEnv(opts.dockerHost), opts.neededBytes !== undefined ? { neededBytes: opts.neededBytes } : {});
  }

  private view(rec: InstallRecord): InstallView {
    const states = this.store.steps(rec.id);
    const steps: InstallStepView[] = rec.plan.steps.map((s) => {
      const st = states.get(s.id);
      return {
        ...s,
        state: st?.state ?? 'pending',
        ...(st?.startedAt ? { startedAt: st.startedAt } : {}),
        ...(st?.finishedAt ? { finishedAt: st.finishedAt } : {}),
        log: st?.log ?? [],
        ...(st?.error ? { error: st.error } : {}),
        ...(st?.result ? { result: st.result } : {}),
      };
    });
    const outputsStep = steps.find((s) => s.id === 'outputs');
    const outputs = outputsStep?.state === 'done' ? ((outputsStep.result?.outputs as InstallOutputView[] | undefined) ?? []) : [];
    return {
      installId: rec.id,
      bundleId: rec.bundleId,
      recipe: { id: rec.plan.recipe.id, version: rec.plan.recipe.version, title: rec.plan.recipe.title },
      createdAt: rec.createdAt,
      updatedAt: rec.updatedAt,
      request: rec.request,
      steps,
      outputs,
      parameters: rec.plan.parameters,
      needsPassword: this.needsPassword(rec, steps),
      status: installStatus(steps),
      removable: stepsThatRan(steps).length === 0,
    };
  }

  private needsPassword(rec: InstallRecord, steps: InstallStepView[]): boolean {
    const { registry, username } = rec.request;
    if (!registry || !username || this.passwords.has(rec.id)) return false;
    if (steps.filter((s) => s.kind === 'push' || s.kind === 'container').every((s) => s.state === 'done')) return false;
    const stored = storedCredentials(this.deps.db, this.deps.dataDir)(parseRegistryTarget(registry).registry);
    return stored?.username !== username;
  }
}

/** The request with paths made absolute and its required parts checked (errors name the field). */
function checkRequest(req: InstallRequest): InstallRequest {
  const source = normalizeSource(req);
  if (!req.modelsDir) throw new UsageError('modelsDir: where to place the model weights is required.', 'Give --models-dir DIR, e.g. /data/models.');
  if (req.registry) parseRegistryTarget(req.registry);
  if (req.gpu !== undefined && req.gpu !== 'require' && req.gpu !== 'none') throw new UsageError(`gpu: "${String(req.gpu)}" is not require or none.`);
  if (!req.egress || !Array.isArray(req.egress.outside) || req.egress.outside.length === 0) {
    throw new UsageError('egress.outside: at least one outside target (host:port) that must be unreachable is required.', 'Give --egress-outside HOST:PORT, an address outside the air gap (e.g. a public DNS server\'s IP and port 53).');
  }
  if (req.healthTimeout !== undefined && !(Number.isInteger(req.healthTimeout) && req.healthTimeout > 0)) throw new UsageError(`healthTimeout: ${req.healthTimeout} is not a positive number of seconds.`);
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(p));
  return {
    ...req,
    ...source,
    modelsDir: resolve(req.modelsDir),
    ...(req.caFile ? { caFile: abs(req.caFile) } : {}),
    ...(req.gitlabCaFile ? { gitlabCaFile: abs(req.gitlabCaFile) } : {}),
  };
}

/** Removes the install's own folder under the data dir, never following a link out of it; returns it when it was there. */
async function removeOwnFolder(dir: string): Promise<string | undefined> {
  const st = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!st) return undefined;
  if (!st.isDirectory()) throw new FerryError(`${dir} is not a folder Ferry made for the install (it is a link or a file); nothing was removed.`, 'Look at it and remove it by hand if it is not needed.');
  await rm(dir, { recursive: true, force: true });
  return dir;
}
