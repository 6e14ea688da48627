import { FerryError } from '../../../shared/errors';
import { requireEngine } from '../engine/engine-status';
import { gpuPreflight } from '../engine/gpu-preflight';
import { usesEngine } from '../plan/install-plan';
import { ensureSecrets } from '../plan/secrets';
import { secretsDir } from '../plan/install-refs';
import type { StepEnv, StepOutcome } from './step-env';

// Steps 4 and 5: the GPU preflight (fills the tensor-parallel size unless the admin set it) and
// the generated keys (names and fingerprints recorded, never values).

const TP = 'tensor_parallel_size';

/**
 * Before a step runs: when it or any step after it needs the container engine, an engine must
 * answer now — so a host without one is told before step 1 (what is wrong, how to start one),
 * not after the bundle was verified and pushed.
 */
export async function engineGate(env: Pick<StepEnv, 'record' | 'docker' | 'progress'>, fromIndex: number): Promise<void> {
  const { plan, request } = env.record;
  if (!plan.steps.slice(fromIndex).some((s) => usesEngine(s, request))) return;
  await requireEngine(env.docker(), env.progress.signal);
}

export async function preflightStep(env: StepEnv): Promise<StepOutcome> {
  const { request, plan } = env.record;
  if (request.gpu === 'none') {
    const reason = 'GPU use is off for this install (--gpu none): containers start without GPUs.';
    env.log(reason);
    return { state: 'skipped', result: { reason }, summary: reason };
  }
  const adminTp = plan.setByAdmin.includes(TP) && plan.params[TP] !== undefined ? Number(plan.params[TP]) : undefined;
  const view = await gpuPreflight(env.docker(), {
    ...(plan.neededBytes !== undefined ? { neededBytes: plan.neededBytes } : {}),
    ...(adminTp !== undefined ? { requestedTensorParallel: adminTp } : {}),
    signal: env.progress.signal,
  });
  env.log(view.message);
  if (view.gpuRequest) env.log(`GPU request: ${view.gpuRequest.text}`);
  for (const g of view.gpus) env.log(`GPU ${g.index}: ${g.name}, ${g.memoryFreeMiB} MiB free of ${g.memoryTotalMiB} MiB`);
  if (!view.ok) throw new FerryError(view.message, view.hint ?? 'Fix the GPU setup, or run with --gpu none to start without GPUs.', 'PreflightFailed');
  const filled = adminTp === undefined && view.suggestedTensorParallel !== undefined && (plan.recipe.parameters ?? []).some((p) => p.name === TP);
  if (filled) env.setParams({ [TP]: String(view.suggestedTensorParallel) });
  return { result: { ...view, ...(filled ? { filled: { [TP]: String(view.suggestedTensorParallel) } } : {}) }, summary: view.message };
}

export async function secretsStep(env: StepEnv): Promise<StepOutcome> {
  const specs = (env.record.plan.recipe.install?.secrets ?? []).map((s) => ({ name: s.name, kind: s.kind }));
  const files = await ensureSecrets(secretsDir(env.dataDir, env.installId), specs);
  for (const f of files) env.log(`${f.name}: ${f.created ? 'generated' : 'kept'} ${f.fingerprint}`);
  const secrets = files.map((f) => ({ name: f.name, kind: f.kind, fingerprint: f.fingerprint, created: f.created }));
  return { result: { secrets }, summary: `${files.filter((f) => f.created).length} generated, ${files.filter((f) => !f.created).length} kept` };
}
