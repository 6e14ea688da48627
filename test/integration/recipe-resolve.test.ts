import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedRecipe, VerifyResult } from '../../src/shared/api';
import { ferry } from '../harness/ferry-cli';
import { startHubServer } from '../harness/hub-server';
import { duoCliStandIn, startNpmRegistry } from '../harness/npm-registry';
import { startRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { blob, pushIndex, pushStandIn, randomLayer, standIn, type StandIn } from './acquire-helpers';

// Every built-in recipe resolves to a lock against a loopback registry and hub that serve its
// artifacts under their real names, reached through --mirror (the lock keeps the real names).
const tmp = tempDir('ferry-recipes-');
const dataDir = join(tmp.path, 'data');
let registry: Awaited<ReturnType<typeof startRegistry>>;
let hub: Awaited<ReturnType<typeof startHubServer>>;
let npm: Awaited<ReturnType<typeof startNpmRegistry>>;
const pushed = new Map<string, string>();
const GITLAB = 'gitlab-org/modelops/applied-ml/code-suggestions/ai-assist';
const EXECUTOR = 'gitlab-org/duo-workflow/default-docker-image/workflow-generic-image';
const MISTRAL = 'mistralai/Mistral-Small-3.2-24B-Instruct-2506';
const LLAMA = 'meta-llama/Llama-3.1-8B-Instruct';

async function image(repo: string, tags: string[], label = repo): Promise<StandIn> {
  const img = standIn([randomLayer(2048), blob(Buffer.from(label))], { label });
  await pushStandIn(registry.host, repo, tags, img);
  for (const t of tags) pushed.set(`${repo}:${t}`, img.digest);
  return img;
}

beforeAll(async () => {
  [registry, hub, npm] = await Promise.all([
    startRegistry(),
    startHubServer({
      repos: {
        [MISTRAL]: { files: { 'config.json': Buffer.from('{"model_type":"mistral3"}'), 'model-00001-of-00002.safetensors': { size: 3 << 20, seed: 1 }, 'model-00002-of-00002.safetensors': { size: 1 << 20, seed: 2 }, 'consolidated.safetensors': { size: 4 << 20, seed: 3 }, 'params.json': Buffer.from('{}') } },
        [LLAMA]: { files: { 'config.json': Buffer.from('{"model_type":"llama"}'), 'model.safetensors': { size: 2 << 20, seed: 4 }, 'original/consolidated.00.pth': { size: 2 << 20, seed: 5 } } },
      },
    }),
    startNpmRegistry({ packages: [duoCliStandIn('8.86.0'), duoCliStandIn('8.87.0')] }),
  ]);
  await image(`${GITLAB}/model-gateway`, ['self-hosted-v18.10.0-ee', 'self-hosted-v18.9.2-ee']);
  await image(`${GITLAB}/model-gateway/self-hosted-fips`, ['self-hosted-v18.10.0-ee']);
  for (const t of ['v0.0.6', 'v0.0.9', 'v0.0.10', 'latest', 'main']) await image(EXECUTOR, [t], `executor ${t}`);
  const amd = standIn([randomLayer(4096)], { arch: 'amd64' });
  const arm = standIn([randomLayer(4096)], { arch: 'arm64' });
  await pushIndex(registry.host, 'vllm/vllm-openai', 'v0.18.1', [{ img: amd, arch: 'amd64' }, { img: arm, arch: 'arm64' }]);
  await pushIndex(registry.host, 'vllm/vllm-openai', 'latest', [{ img: amd, arch: 'amd64' }]);
  pushed.set('vllm/vllm-openai:v0.18.1', amd.digest);
  pushed.set('vllm/vllm-openai:v0.18.1@arm64', arm.digest);
  for (const t of ['24.12.1.1', '25.8.1.5101', '25.3.2.39', 'latest', '25.8']) await image('clickhouse/clickhouse-server', [t], `clickhouse ${t}`);
  for (const c of ['api', 'gateway', 'console', 'admin']) await image(`keeptrusts/${c}`, ['2.5.0']);
  await image('library/postgres', ['16-alpine']);
  await image('ollama/ollama', ['latest']);
  const gguf = blob(Buffer.from('GGUF stand-in'), 'application/vnd.ollama.image.model');
  const ollama = standIn([gguf, blob(Buffer.from('{{ .Prompt }}'), 'application/vnd.ollama.image.template')], { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', configMediaType: 'application/vnd.docker.container.image.v1+json' });
  await pushStandIn(registry.host, 'library/llama3.1', ['8b'], ollama);
  pushed.set('library/llama3.1:8b', ollama.digest);
  mkdirSync(join(tmp.path, 'knowledge'), { recursive: true });
  writeFileSync(join(tmp.path, 'knowledge', 'policies.md'), '# Policies\n');
  writeFileSync(join(tmp.path, 'knowledge', 'compliance.md'), '# Compliance\n');
  writeFileSync(join(tmp.path, 'policy-config.yaml'), 'target:\n  provider: openai-compatible\n  url: http://vllm.internal:8000\n');
});

afterAll(async () => {
  await Promise.allSettled([registry?.stop(), hub?.stop(), npm?.stop()]);
  tmp.cleanup();
});

const sources = () => ['--mirror', `registry.gitlab.com=${registry.host}`, '--mirror', `docker.io=${registry.host}`, '--mirror', `registry.ollama.ai=${registry.host}`, '--hub-url', hub.url, '--data-dir', dataDir];
/** The Duo recipe's executor gets @gitlab/duo-cli from the npm stand-in. */
const duoNpm = () => ['--set', `npm_registry=${npm.url}`];
const keeptrustsFiles = () => ['--set', `policy_config=${join(tmp.path, 'policy-config.yaml')}`, '--set', `knowledge_dir=${join(tmp.path, 'knowledge')}`];

async function resolve(id: string, extra: string[] = []): Promise<ResolvedRecipe & { lock: { images: { id: string; source: string; digest: string; registry: string; repository: string; target: string }[]; models: { files: { path: string }[]; revision: string }[] } }> {
  const r = await ferry(['recipe', 'resolve', id, ...sources(), ...extra, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.json();
}

const digestOf = (l: Awaited<ReturnType<typeof resolve>>, id: string) => l.lock.images.find((i) => i.id === id)?.digest;

describe('built-in recipes resolve to locks through mirrors', () => {
  it('lists the built-in recipes', async () => {
    const r = await ferry(['recipe', 'list', '--data-dir', dataDir, '--json']);
    expect(r.json<{ id: string }[]>().map((x) => x.id)).toEqual(['gitlab-duo-self-hosted', 'keeptrusts-airgapped', 'ollama-model', 'vllm-model']);
  });

  it('gitlab-duo-self-hosted: AI Gateway by version, newest v* executor (sort -V), vLLM for the platform, Mistral without the consolidated copy', async () => {
    const l = await resolve('gitlab-duo-self-hosted', duoNpm());
    expect(l.lock.images.map((i) => i.id)).toEqual(['ai-gateway', 'flow-executor', 'vllm']);
    expect(digestOf(l, 'ai-gateway')).toBe(pushed.get(`${GITLAB}/model-gateway:self-hosted-v18.10.0-ee`));
    const gw = l.lock.images[0]!;
    expect(gw).toMatchObject({ registry: 'registry.gitlab.com', repository: `${GITLAB}/model-gateway`, target: 'ai-gateway', source: `registry.gitlab.com/${GITLAB}/model-gateway:self-hosted-v18.10.0-ee` });
    expect(l.lock.images[1]!.source).toBe(`registry.gitlab.com/${EXECUTOR}:v0.0.10`);
    expect(digestOf(l, 'flow-executor')).toBe(pushed.get(`${EXECUTOR}:v0.0.10`));
    expect(digestOf(l, 'vllm')).toBe(pushed.get('vllm/vllm-openai:v0.18.1'));
    expect(l.lock.models[0]!.revision).toBe(hub.commitOf(MISTRAL));
    expect(l.lock.models[0]!.files.map((f) => f.path)).toEqual(['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'params.json']);
    const derived = (l.lock as unknown as { derived: { id: string; from: string; tag: string; target: string; npm: { package: string; version: string; integrity: string; size: number } }[] }).derived;
    const tgz = npm.tarball('@gitlab/duo-cli', '8.86.0');
    expect(derived).toEqual([expect.objectContaining({ id: 'duo-executor', from: 'flow-executor', tag: 'v0.0.10', target: 'duo-executor', npm: expect.objectContaining({ package: '@gitlab/duo-cli', version: '8.86.0', integrity: tgz.integrity, size: tgz.bytes.length }) })]);
    expect(l.entries.find((e) => e.id === 'duo-executor')).toMatchObject({ kind: 'image', source: `registry.gitlab.com/${EXECUTOR}:v0.0.10 + npm:@gitlab/duo-cli@8.86.0`, pinned: tgz.integrity });
    expect(l.totalBytes).toBe(l.entries.reduce((s, e) => s + e.size, 0));
  });

  it('gitlab-duo-self-hosted: FIPS gateway, ClickHouse (newest 4-part version), another GitLab version', async () => {
    const l = await resolve('gitlab-duo-self-hosted', [...duoNpm(), '--set', 'fips=true', '--set', 'clickhouse=true', '--set', 'duo_cli_version=8.87.0']);
    expect(l.lock.images.map((i) => i.id)).toEqual(['ai-gateway-fips', 'flow-executor', 'vllm', 'clickhouse']);
    expect(digestOf(l, 'ai-gateway-fips')).toBe(pushed.get(`${GITLAB}/model-gateway/self-hosted-fips:self-hosted-v18.10.0-ee`));
    expect(l.lock.images[0]!.target).toBe('ai-gateway');
    expect(digestOf(l, 'clickhouse')).toBe(pushed.get('clickhouse/clickhouse-server:25.8.1.5101'));
    expect(l.entries.find((e) => e.id === 'duo-executor')?.pinned).toBe(npm.tarball('@gitlab/duo-cli', '8.87.0').integrity);
    const older = await resolve('gitlab-duo-self-hosted', [...duoNpm(), '--set', 'gitlab_version=18.9.2']);
    expect(digestOf(older, 'ai-gateway')).toBe(pushed.get(`${GITLAB}/model-gateway:self-hosted-v18.9.2-ee`));
  });

  it('vllm-model (another model and platform) and ollama-model', async () => {
    const v = await resolve('vllm-model', ['--set', `model=${LLAMA}`, '--platform', 'linux/arm64']);
    expect(v.lock.models[0]!.files.map((f) => f.path)).toEqual(['config.json', 'model.safetensors']);
    expect(digestOf(v, 'vllm')).toBe(pushed.get('vllm/vllm-openai:v0.18.1@arm64'));
    const o = await resolve('ollama-model');
    expect(o.entries.map((e) => `${e.kind}:${e.id}`)).toEqual(['image:ollama', 'ollama:model']);
    expect(o.entries[1]!.pinned).toBe(pushed.get('library/llama3.1:8b'));
  });

  it('keeptrusts-airgapped with vLLM or Ollama, policy config and knowledge base as files', async () => {
    const v = await resolve('keeptrusts-airgapped', keeptrustsFiles());
    expect(v.entries.map((e) => `${e.kind}:${e.id}`)).toEqual(['image:api', 'image:gateway', 'image:console', 'image:admin', 'image:postgres', 'image:vllm', 'model:model', 'files:policy-config', 'files:knowledge']);
    expect(digestOf(v, 'postgres')).toBe(pushed.get('library/postgres:16-alpine'));
    const o = await resolve('keeptrusts-airgapped', [...keeptrustsFiles(), '--set', 'runtime=ollama']);
    expect(o.entries.map((e) => `${e.kind}:${e.id}`)).toEqual(['image:api', 'image:gateway', 'image:console', 'image:admin', 'image:postgres', 'image:ollama', 'ollama:ollama-model', 'files:policy-config', 'files:knowledge']);
  });

  it('names the parameter that is missing or wrong (exit 2)', async () => {
    const missing = await ferry(['recipe', 'resolve', 'keeptrusts-airgapped', ...sources()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('policy_config');
    const bad = await ferry(['recipe', 'resolve', 'gitlab-duo-self-hosted', ...sources(), '--set', 'model=acme/unknown']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/model.*must be one of/);
    const unknown = await ferry(['recipe', 'resolve', 'vllm-model', ...sources(), '--set', 'nope=1']);
    expect(unknown.stderr).toContain('no parameter "nope"');
  });

  it('acquires the Keeptrusts stack (Ollama runtime) into a bundle that verifies, with the lock inside', async () => {
    const out = join(tmp.path, 'kt-bundle');
    const r = await ferry(['bundle', 'create', '--recipe', 'keeptrusts-airgapped', ...keeptrustsFiles(), '--set', 'runtime=ollama', ...sources(), '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = await ferry(['verify', out, '--data-dir', dataDir, '--json']);
    expect(v.json<VerifyResult>()).toMatchObject({ ok: true });
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.lock).toMatchObject({ path: 'lock.json', recipe: 'keeptrusts-airgapped' });
    expect(manifest.artifacts.find((a: { source: string }) => a.source === 'docker.io/keeptrusts/api:2.5.0')).toMatchObject({ name: 'docker.io/keeptrusts/api:2.5.0', target: 'api' });
    expect(readFileSync(join(out, 'files/knowledge/policies.md'), 'utf8')).toBe('# Policies\n');
    expect(readFileSync(join(out, 'files/policy-config/policy-config.yaml'), 'utf8')).toContain('openai-compatible');
    expect(readFileSync(join(out, 'ollama/manifests/registry.ollama.ai/library/llama3.1/8b'))).toBeTruthy();
    expect(manifest.extraArtifacts.map((a: { kind: string; name: string }) => `${a.kind}:${a.name}`)).toEqual(['ollama:llama3.1:8b', 'files:policy-config', 'files:knowledge']);
  });
});
