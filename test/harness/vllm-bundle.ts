import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tinySafetensors } from './duo-bundle';
import { ferry } from './ferry-cli';
import { startHubServer, type HubServer } from './hub-server';
import { startRegistry, type TestRegistry } from './registry';
import { requireTool } from './require-tool';
import { buildStandinImages } from './standin-images';

/**
 * The plain vLLM-model bundle (`ferry bundle create --recipe vllm-model`, its defaults) made from
 * loopback sources: the vLLM stand-in image served as docker.io/vllm/vllm-openai:v0.18.1 through
 * --mirror, and a hub stand-in with a tiny model under the recipe's default model name.
 */

export const VLLM_MODEL = 'mistralai/Mistral-Small-3.2-24B-Instruct-2506';

const MODEL_CONFIG = { architectures: ['MistralForCausalLM'], model_type: 'mistral', hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 1, vocab_size: 4, torch_dtype: 'float16' };

export async function makeVllmBundle(dir: string): Promise<{ bundleDir: string; bundleId: string }> {
  let registry: TestRegistry | undefined;
  let hub: HubServer | undefined;
  try {
    [registry, hub] = await Promise.all([
      startRegistry(),
      startHubServer({ repos: { [VLLM_MODEL]: { files: { 'config.json': Buffer.from(JSON.stringify(MODEL_CONFIG)), 'model.safetensors': tinySafetensors() } } } }),
    ]);
    const layoutDir = join(dir, 'standins');
    const { vllm } = await buildStandinImages(layoutDir);
    const skopeo = requireTool('skopeo', 'skopeo');
    await promisify(execFile)(skopeo, ['copy', '--quiet', '--insecure-policy', '--preserve-digests', '--dest-tls-verify=false', `oci:${layoutDir}:${vllm.name}`, `docker://${registry.host}/vllm/vllm-openai:v0.18.1`]);
    const bundleDir = join(dir, 'bundle');
    const r = await ferry(['bundle', 'create', '--recipe', 'vllm-model', '--mirror', `docker.io=${registry.host}`, '--hub-url', hub.url, '--out', bundleDir, '--data-dir', join(dir, 'connected'), '--json']);
    if (r.code !== 0) throw new Error(`makeVllmBundle: ferry bundle create exited ${r.code}: ${r.stderr || r.stdout}`);
    return { bundleDir, bundleId: r.json<{ bundleId: string }>().bundleId };
  } finally {
    await Promise.allSettled([registry?.stop(), hub?.stop()]);
  }
}
