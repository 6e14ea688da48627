import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { InstallStepKind } from '../../src/shared/api-install';
import { dockerFromEnv } from '../../src/main/docker/docker-loader';
import { usesEngine } from '../../src/main/install/plan/install-plan';
import { engineGate } from '../../src/main/install/steps/step-preflight';
import type { StepEnv } from '../../src/main/install/steps/step-env';
import { tempDir } from '../harness/temp';

// The install's engine gate: before a step runs, if it or any later step needs the container
// engine, an engine must answer — so "no engine" is said before step 1, not at "Start vllm".

const tmp = tempDir('ferry-engine-gate-');
afterAll(() => tmp.cleanup());
const missing = join(tmp.path, 'docker.sock');

const step = (kind: InstallStepKind, id: string = kind) => ({ id, kind, title: id, description: '', command: '', undoable: false });

function envFor(kinds: InstallStepKind[], registry?: string): Pick<StepEnv, 'record' | 'docker' | 'progress'> {
  const record = { plan: { steps: kinds.map((k) => step(k)) }, request: { ...(registry ? { registry } : {}) } } as unknown as StepEnv['record'];
  return { record, docker: () => dockerFromEnv(`unix://${missing}`), progress: { signal: new AbortController().signal } as StepEnv['progress'] };
}

describe('usesEngine', () => {
  test('containers, their checks and the GPU preflight use the engine; loading images only without a registry', () => {
    for (const k of ['container', 'health', 'egress', 'preflight'] as const) expect(usesEngine(step(k), {}), k).toBe(true);
    for (const k of ['verify', 'models', 'secrets', 'files', 'outputs', 'agent-config'] as const) expect(usesEngine(step(k), {}), k).toBe(false);
    expect(usesEngine(step('push'), {})).toBe(true);
    expect(usesEngine(step('push'), { registry: '10.0.0.5:5000/duo' })).toBe(false);
  });
});

describe('engineGate', () => {
  test('before step 1 of a plan with containers: refuses, naming the socket and how to start an engine', async () => {
    const err = await engineGate(envFor(['verify', 'push', 'models', 'container', 'health']), 0).then(
      () => expect.fail('expected the gate to refuse'),
      (e: Error) => e,
    );
    expect(err.name).toBe('EngineUnreachable');
    expect(err.message).toMatch(new RegExp(`^No container engine reachable at ${missing}: the socket ${missing} does not exist`));
    expect(err.message).toContain('systemctl start docker');
  });

  test('lets a plan through when nothing from this step on needs the engine', async () => {
    await expect(engineGate(envFor(['verify', 'push', 'models'], '10.0.0.5:5000/duo'), 0)).resolves.toBeUndefined();
    await expect(engineGate(envFor(['verify', 'container', 'outputs']), 2)).resolves.toBeUndefined();
  });
});
