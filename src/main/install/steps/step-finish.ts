import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write';
import { whenHolds } from '../../recipes/template';
import { AGENT_CONFIG_PATH, renderAgentConfig } from '../plan/agent-config';
import { expandInstall } from '../plan/install-template';
import { imageRef, installDir, templateContext } from '../plan/install-refs';
import type { PlanImage } from '../install-types';
import { runnerChecklist } from './runner-checklist';
import type { StepEnv, StepOutcome } from './step-env';

// Steps 9 and 10: the values the admin enters in GitLab, and agent-config.yml for offline flow
// execution with the runner checklist.

/** The executor image flows run in: the custom one with the Duo CLI baked in, else the plain executor. */
export function agentConfigImageId(images: PlanImage[]): string | undefined {
  return images.find((i) => i.id === 'duo-executor')?.id ?? images.find((i) => i.id === 'flow-executor')?.id;
}

export async function outputsStep(env: StepEnv): Promise<StepOutcome> {
  const { request, plan } = env.record;
  const ctx = templateContext(plan, request, env.dataDir, env.installId);
  const outputs = (plan.recipe.install?.outputs ?? [])
    .filter((o) => whenHolds(o.when, plan.params))
    .map((o, i) => ({ label: o.label, value: expandInstall(o.value, ctx, `install.outputs.${i}.value`, 'display') }));
  for (const o of outputs) env.log(`${o.label}: ${o.value}`);
  env.custody.append({ type: 'install.outputs', role: 'admin', bundleId: plan.bundleId, details: { installId: env.installId, outputs } });
  return { result: { outputs }, summary: `${outputs.length} value(s) for GitLab` };
}

export async function agentConfigStep(env: StepEnv): Promise<StepOutcome> {
  const { request, plan } = env.record;
  const id = agentConfigImageId(plan.images)!;
  const image = imageRef(plan.images.find((i) => i.id === id)!, request.registry);
  const yaml = renderAgentConfig({ image, ...(request.agentConfig?.setupScript ? { setupScript: request.agentConfig.setupScript } : {}), ...(request.agentConfig?.cache ? { cache: request.agentConfig.cache } : {}) });
  const path = join(installDir(env.dataDir, env.installId), AGENT_CONFIG_PATH);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, Buffer.from(yaml, 'utf8'));
  const checklist = runnerChecklist({ image, customImage: id === 'duo-executor' });
  env.log(`wrote ${path} (image ${image})`);
  return { result: { path, yaml, checklist, image }, summary: `${AGENT_CONFIG_PATH} names ${image}` };
}
