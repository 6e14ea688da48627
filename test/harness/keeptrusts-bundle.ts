import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tinySafetensors } from './duo-bundle';
import { ferry } from './ferry-cli';
import { startHubServer, type HubServer } from './hub-server';
import { buildKeeptrustsStandins, KT_NAMES, KT_REPOS, type KeeptrustsStandins } from './keeptrusts-standins';
import { startRegistry, type TestRegistry } from './registry';
import { requireTool } from './require-tool';

/**
 * Sources for Keeptrusts air-gapped bundles, made the way an operator makes them: a loopback
 * registry serving the stand-ins under their docker.io names (through --mirror docker.io=…) and
 * a hub stand-in with a tiny model under the recipe's default model name. `bundle()` runs
 * `ferry bundle create --recipe keeptrusts-airgapped` (runtime vllm) with the given policy
 * configuration and knowledge folder; call it as often as needed, then `close()`.
 * Only loopback is contacted.
 */

export const KT_RECIPE = 'keeptrusts-airgapped';
export const KT_MODEL = 'meta-llama/Llama-3.1-8B-Instruct';

const MODEL_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 4,
  num_hidden_layers: 1,
  num_attention_heads: 1,
  num_key_value_heads: 1,
  vocab_size: 4,
  max_position_embeddings: 32,
  torch_dtype: 'float16',
};

export interface KeeptrustsSources {
  standins: KeeptrustsStandins;
  /** Creates a bundle into `outDir` (station data in `dataDir`); returns its id. */
  bundle(opts: { outDir: string; dataDir: string; policyConfig: string; knowledgeDir: string; extraArgs?: string[] }): Promise<string>;
  close(): Promise<void>;
}

export async function startKeeptrustsSources(workDir: string): Promise<KeeptrustsSources> {
  let registry: TestRegistry | undefined;
  let hub: HubServer | undefined;
  const close = async (): Promise<void> => {
    await Promise.allSettled([registry?.stop(), hub?.stop()]);
  };
  try {
    [registry, hub] = await Promise.all([
      startRegistry(),
      startHubServer({ repos: { [KT_MODEL]: { files: { 'config.json': Buffer.from(JSON.stringify(MODEL_CONFIG)), 'model.safetensors': tinySafetensors() } } } }),
    ]);
    const layoutDir = join(workDir, 'kt-standins');
    const standins = await buildKeeptrustsStandins(layoutDir);
    const skopeo = requireTool('skopeo', 'skopeo');
    for (const key of Object.keys(KT_NAMES) as (keyof typeof KT_NAMES)[]) {
      const dest = `${registry.host}/${KT_REPOS[key]}`;
      await promisify(execFile)(skopeo, ['copy', '--quiet', '--insecure-policy', '--preserve-digests', '--dest-tls-verify=false', `oci:${layoutDir}:${KT_NAMES[key]}`, `docker://${dest}`]).catch(
        (err: { stderr?: string; message: string }) => {
          throw new Error(`startKeeptrustsSources: skopeo copy to ${dest} failed: ${err.stderr || err.message}`);
        },
      );
    }
    const reg = registry;
    const hubUrl = hub.url;
    return {
      standins,
      close,
      bundle: async (o) => {
        const r = await ferry([
          'bundle', 'create', '--recipe', KT_RECIPE,
          '--set', `policy_config=${o.policyConfig}`, '--set', `knowledge_dir=${o.knowledgeDir}`,
          '--mirror', `docker.io=${reg.host}`, '--hub-url', hubUrl,
          '--out', o.outDir, '--data-dir', o.dataDir, '--json', ...(o.extraArgs ?? []),
        ]);
        if (r.code !== 0) throw new Error(`keeptrusts bundle: ferry bundle create exited ${r.code}: ${r.stderr || r.stdout}`);
        return (r.json() as { bundleId: string }).bundleId;
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}
