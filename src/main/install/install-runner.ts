import type Dockerode from 'dockerode';
import { FerryError, isAbortError } from '../../shared/errors';
import type { InstallStepState } from '../../shared/api-install';
import { isoWithOffset } from '../core/clock';
import type { CustodyStore } from '../custody/custody-store';
import type { Db } from '../db/database';
import { dockerFromEnv } from '../docker/docker-loader';
import type { HashPool } from '../hash/hash-pool';
import type { Progress } from '../jobs/progress';
import { engineInfo } from './engine/engine-info';
import { layoutSteps, stepsUsing } from './plan/install-plan';
import type { InstallRecord, InstallStore } from './install-store';
import type { PlannedStep } from './install-types';
import { containerStep, egressStep, healthStep, undoContainerStep } from './steps/step-containers';
import type { StepEnv, StepFn } from './steps/step-env';
import { agentConfigStep, outputsStep } from './steps/step-finish';
import { filesStep } from './steps/step-files';
import { verifyStackStep } from './steps/step-verify-stack';
import { engineGate, preflightStep, secretsStep } from './steps/step-preflight';
import { modelsStep, pushStep } from './steps/step-push';
import { verifyStep } from './steps/step-verify';
import { ollamaStep } from '../ollama/ollama-install';

// Runs one step: state running → done / skipped / failed, its log tail, and a signed custody
// event `install.step` either way. A step runs only after every step before it is done (a step
// already done may run again: each is safe to re-run). Undo removes what a step started.

export interface RunnerDeps {
  db: Db;
  custody: CustodyStore;
  pool: HashPool;
  dataDir: string;
  store: InstallStore;
}

const LOG_MAX = 200;
const LOG_SAVE_MS = 1000;

function stepFn(step: PlannedStep): StepFn {
  switch (step.kind) {
    case 'verify':
      return verifyStep;
    case 'push':
      return pushStep;
    case 'models':
      return modelsStep;
    case 'preflight':
      return preflightStep;
    case 'secrets':
      return secretsStep;
    case 'container':
      return containerStep(step.id.slice('container:'.length));
    case 'files':
      return filesStep;
    case 'ollama':
      return ollamaStep;
    case 'health':
      return healthStep;
    case 'verify-stack':
      return verifyStackStep;
    case 'egress':
      return egressStep;
    case 'outputs':
      return outputsStep;
    case 'agent-config':
      return agentConfigStep;
  }
}

/** Lays the steps out again (after the preflight filled a parameter, or the engine turned out to be Podman). */
export function relayout(deps: RunnerDeps, rec: InstallRecord): InstallRecord {
  const { steps: _old, ...rest } = rec.plan;
  void _old;
  const steps = layoutSteps({ installId: rec.id, dataDir: deps.dataDir, request: rec.request, engine: rec.plan.engine, plan: rest });
  const plan = { ...rec.plan, steps };
  deps.store.savePlan(rec.id, plan);
  return { ...rec, plan };
}

function findStep(rec: InstallRecord, stepId: string): { step: PlannedStep; index: number } {
  const index = rec.plan.steps.findIndex((s) => s.id === stepId);
  if (index < 0) throw new FerryError(`Install ${rec.id} has no step "${stepId}".`, `Its steps: ${rec.plan.steps.map((s) => s.id).join(', ')}.`, 'UsageError');
  return { step: rec.plan.steps[index]!, index };
}

export async function runStep(deps: RunnerDeps, installId: string, stepId: string, opts: { password?: string; progress: Progress; undo?: boolean; removeVolumes?: boolean }): Promise<InstallStepState> {
  let rec = deps.store.get(installId);
  const { step, index } = findStep(rec, stepId);
  const states = deps.store.steps(installId);
  if (opts.undo) {
    if (!step.undoable) throw new FerryError(`Step "${stepId}" cannot be undone.`, 'Only container steps can be undone (the container is stopped and removed).', 'UsageError');
  } else {
    for (const prev of rec.plan.steps.slice(0, index)) {
      const st = states.get(prev.id)?.state ?? 'pending';
      if (st !== 'done' && st !== 'skipped') {
        throw new FerryError(`Step "${stepId}" cannot run before "${prev.id}" is done (it is ${st}).`, `Run "${prev.id}" first, or run the install from the first step not done (--resume ${installId}).`, 'StepOrder');
      }
    }
  }
  const log: string[] = [];
  let lastSaved = 0;
  let docker: Dockerode | undefined;
  const env: StepEnv = {
    installId,
    dataDir: deps.dataDir,
    record: rec,
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    custody: deps.custody,
    pool: deps.pool,
    db: deps.db,
    progress: opts.progress,
    ...(opts.removeVolumes ? { removeVolumes: true } : {}),
    log: (line) => {
      log.push(line);
      if (log.length > LOG_MAX) log.shift();
      // The screen shows the tail while the step runs (health waits can take minutes).
      if (Date.now() - lastSaved >= LOG_SAVE_MS) {
        lastSaved = Date.now();
        deps.store.setStep(installId, stepId, { log });
      }
    },
    docker: () => (docker ??= dockerFromEnv(rec.request.dockerHost)),
    engineKind: async () => {
      const kind = (await engineInfo(env.docker())).kind;
      if (kind !== rec.plan.engine) {
        rec = relayout(deps, { ...rec, plan: { ...rec.plan, engine: kind } });
        env.record = rec;
      }
      return kind;
    },
    result: (id) => {
      const s = deps.store.steps(installId).get(id);
      return s?.state === 'done' ? s.result : undefined;
    },
    setParams: (values) => {
      rec = relayout(deps, { ...rec, plan: { ...rec.plan, params: { ...rec.plan.params, ...values }, parameters: rec.plan.parameters.map((p) => (values[p.name] !== undefined ? { ...p, value: values[p.name] } : p)) } });
      env.record = rec;
    },
  };
  if (!opts.undo) await engineGate(env, index); // no engine for the steps ahead: say so before this step starts
  const startedAt = isoWithOffset();
  deps.store.setStep(installId, stepId, { state: 'running', startedAt, finishedAt: undefined, error: undefined, log: [] });
  opts.progress.phase(`${opts.undo ? 'undo: ' : ''}${step.title}`);
  const command = step.command;
  try {
    const outcome = await (opts.undo ? undoContainerStep(stepId.slice('container:'.length)) : stepFn(step))(env);
    const state: InstallStepState = opts.undo ? 'undone' : (outcome.state ?? 'done');
    deps.store.setStep(installId, stepId, { state, finishedAt: isoWithOffset(), result: outcome.result, log });
    const runAgain = opts.undo ? deps.store.runAgain(installId, stepsUsing(rec.plan, stepId), `To run again: ${stepId} was undone (${isoWithOffset()}).`) : [];
    deps.custody.append({
      type: 'install.step',
      role: 'admin',
      bundleId: rec.bundleId,
      details: { installId, step: stepId, state, ...(opts.undo ? { undo: true, runAgain } : {}), ...(opts.removeVolumes ? { removeVolumes: true } : {}), command, summary: outcome.summary, result: outcome.result },
    });
    return state;
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const hint = err instanceof FerryError ? err.hint : undefined;
    const canceled = isAbortError(err);
    const error = { message: canceled ? 'Canceled.' : e.message, ...(hint ? { hint } : {}) };
    deps.store.setStep(installId, stepId, { state: 'failed', finishedAt: isoWithOffset(), error, log });
    deps.custody.append({ type: 'install.step', role: 'admin', bundleId: rec.bundleId, details: { installId, step: stepId, state: 'failed', ...(opts.undo ? { undo: true } : {}), command, error } });
    throw err;
  }
}
