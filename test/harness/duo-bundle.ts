import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ferry } from './ferry-cli';
import { startHubServer, type HubServer } from './hub-server';
import { duoCliStandIn, startNpmRegistry, type NpmRegistry } from './npm-registry';
import { startRegistry, type TestRegistry } from './registry';
import { requireTool } from './require-tool';
import { buildStandinImages } from './standin-images';
import type { TestImage } from './test-images';

/**
 * The GitLab Duo Self-Hosted stand-in bundle, made the way an operator makes the real one:
 * `ferry bundle create --recipe gitlab-duo-self-hosted` against loopback sources that serve the
 * stand-in images under their real repository names (through --mirror), a hub stand-in with a
 * tiny model under the recipe's default model name, and an npm stand-in with @gitlab/duo-cli.
 * Only loopback is contacted. The install tests (CLI and wizard) take the bundle from here.
 */

export const DUO_RECIPE = 'gitlab-duo-self-hosted';
export const DUO_MODEL = 'mistralai/Mistral-Small-3.2-24B-Instruct-2506';
/** The recipe's default served model name (install parameter served_model_name). */
export const DUO_SERVED_NAME = 'custom_openai/mistral-small-3.2-24b';

const GITLAB = 'gitlab-org/modelops/applied-ml/code-suggestions/ai-assist/model-gateway';
const EXECUTOR = 'gitlab-org/duo-workflow/default-docker-image/workflow-generic-image';

export interface DuoBundle {
  bundleDir: string;
  /** The connected-side station's data dir the bundle was created with. */
  dataDir: string;
  bundleId: string;
  /** The stand-in images as built (before the executor got its derived layer). */
  standins: { aiGateway: TestImage; vllm: TestImage; executor: TestImage };
  /** Stops the source registry, hub and npm stand-ins (the bundle stays). */
  close(): Promise<void>;
}

/** A valid, tiny safetensors file: one F16 4×4 tensor. */
export function tinySafetensors(): Buffer {
  let header = JSON.stringify({ 'model.embed.weight': { dtype: 'F16', shape: [4, 4], data_offsets: [0, 32] }, __metadata__: { format: 'pt' } });
  header += ' '.repeat((8 - (header.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, Buffer.from(header), Buffer.alloc(32, 1)]);
}

const MODEL_CONFIG = {
  architectures: ['MistralForCausalLM'],
  model_type: 'mistral',
  hidden_size: 4,
  num_hidden_layers: 1,
  num_attention_heads: 1,
  num_key_value_heads: 1,
  vocab_size: 4,
  max_position_embeddings: 32,
  torch_dtype: 'float16',
};

async function copyImage(layoutDir: string, name: string, dest: string): Promise<void> {
  const skopeo = requireTool('skopeo', 'skopeo');
  await promisify(execFile)(skopeo, ['copy', '--quiet', '--insecure-policy', '--preserve-digests', '--dest-tls-verify=false', `oci:${layoutDir}:${name}`, `docker://${dest}`]).catch(
    (err: { stderr?: string; message: string }) => {
      throw new Error(`makeDuoBundle: skopeo copy to ${dest} failed: ${err.stderr || err.message}`);
    },
  );
}

/** Builds the bundle into `<dir>/bundle` (station data in `<dir>/connected`). */
export async function makeDuoBundle(dir: string, opts: { extraArgs?: string[] } = {}): Promise<DuoBundle> {
  let registry: TestRegistry | undefined;
  let hub: HubServer | undefined;
  let npm: NpmRegistry | undefined;
  const close = async (): Promise<void> => {
    await Promise.allSettled([registry?.stop(), hub?.stop(), npm?.stop()]);
  };
  try {
    [registry, hub, npm] = await Promise.all([
      startRegistry(),
      startHubServer({ repos: { [DUO_MODEL]: { files: { 'config.json': Buffer.from(JSON.stringify(MODEL_CONFIG)), 'model.safetensors': tinySafetensors() } } } }),
      startNpmRegistry({ packages: [duoCliStandIn('8.86.0')] }),
    ]);
    const layoutDir = join(dir, 'standins');
    const standins = await buildStandinImages(layoutDir);
    await copyImage(layoutDir, standins.aiGateway.name, `${registry.host}/${GITLAB}:self-hosted-v18.10.0-ee`);
    await copyImage(layoutDir, standins.vllm.name, `${registry.host}/vllm/vllm-openai:v0.18.1`);
    await copyImage(layoutDir, standins.executor.name, `${registry.host}/${EXECUTOR}:v0.0.6`);
    const bundleDir = join(dir, 'bundle');
    const dataDir = join(dir, 'connected');
    const r = await ferry([
      'bundle', 'create', '--recipe', DUO_RECIPE,
      '--set', `npm_registry=${npm.url}`,
      '--mirror', `registry.gitlab.com=${registry.host}`,
      '--mirror', `docker.io=${registry.host}`,
      '--hub-url', hub.url,
      '--out', bundleDir, '--data-dir', dataDir, '--json',
      ...(opts.extraArgs ?? []),
    ]);
    if (r.code !== 0) throw new Error(`makeDuoBundle: ferry bundle create exited ${r.code}: ${r.stderr || r.stdout}`);
    const bundleId = (r.json() as { bundleId: string }).bundleId;
    await close();
    return { bundleDir, dataDir, bundleId, standins, close };
  } catch (err) {
    await close();
    throw err;
  }
}
