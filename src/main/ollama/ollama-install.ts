import { join, resolve } from 'node:path';
import { deliverOllama } from '../deliver/deliver';
import { installDelivery } from '../install/steps/step-push';
import type { StepEnv, StepOutcome } from '../install/steps/step-env';
import type { ParamValues, Recipe } from '../recipes/recipe-schema';
import { whenHolds } from '../recipes/template';
import { ollamaArtifacts } from './import-ollama';

// The guided install's `ollama` step: the bundle's Ollama models restored into
// `<modelsDir>/ollama`, the folder a recipe's `${artifact.<ollama id>}` names (and mounts as
// the container's /root/.ollama/models).

/** `<modelsDir>/ollama`: the OLLAMA_MODELS folder of an install. */
export function ollamaInstallDir(modelsDir: string): string {
  return join(resolve(modelsDir), 'ollama');
}

/** The recipe's Ollama artifact ids whose `when` holds. */
export function ollamaArtifactIds(recipe: Recipe, params: ParamValues): string[] {
  return (recipe.artifacts.ollama ?? []).filter((o) => whenHolds(o.when, params)).map((o) => o.id);
}

/** `${artifact.<id>}` for every active Ollama artifact → `<modelsDir>/ollama`. */
export function ollamaArtifactRefs(recipe: Recipe, params: ParamValues, modelsDir: string): Record<string, string> {
  return Object.fromEntries(ollamaArtifactIds(recipe, params).map((id) => [id, ollamaInstallDir(modelsDir)]));
}

/** The equivalent command an admin would run. */
export function ollamaStepCommand(bundleDir: string, modelsDir: string): string {
  return `ferry import ${bundleDir} --ollama-models ${ollamaInstallDir(modelsDir)}`;
}

export async function ollamaStep(env: StepEnv): Promise<StepOutcome> {
  const { request } = env.record;
  const d = await installDelivery(env);
  const dir = ollamaInstallDir(request.modelsDir);
  const restored = await deliverOllama(d, ollamaArtifacts(d.manifest), dir);
  for (const r of restored) env.log(`restored ${r.name} ${r.digest} → ${r.manifest} (${r.blobsWritten} blobs written, ${r.blobsSkipped} already there)`);
  const models = restored.map((r) => ({ name: r.name, digest: r.digest, size: r.size, blobsWritten: r.blobsWritten, blobsSkipped: r.blobsSkipped }));
  return {
    result: { dir, models },
    summary: restored.length ? `${restored.map((r) => r.name).join(', ')} → ${dir}` : 'no Ollama model in the bundle',
  };
}
