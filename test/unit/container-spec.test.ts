import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CA_BUNDLE_PATH, healthChecksFor, planContainer, type ContainerPlanInput, type ContainerSpec } from '../../src/main/install/engine/container-spec';
import type { InstallTemplateContext } from '../../src/main/install/plan/install-template';
import { builtinRecipesDir, loadRecipeFile } from '../../src/main/recipes/recipe-catalog';
import { checkRecipe } from '../../src/main/recipes/recipe-check';
import { RecipeSchema } from '../../src/main/recipes/recipe-schema';
import { tempDir } from '../harness/temp';

// Env names and ports exactly as GitLab's "Start the AI Gateway" / "Start vLLM" (seed 000).
const SEED_AIGW_ENV = [
  'AIGW_GITLAB_URL',
  'AIGW_GITLAB_API_URL',
  'AIGW_SELF_SIGNED_JWT__SIGNING_KEY',
  'AIGW_SELF_SIGNED_JWT__VALIDATION_KEY',
  'DUO_WORKFLOW_AUTH__ENABLED',
  'DUO_WORKFLOW_SELF_SIGNED_JWT__SIGNING_KEY',
  'DUO_WORKFLOW_SELF_SIGNED_JWT__VALIDATION_KEY',
  'DUO_WORKFLOW_AUTH__OIDC_CUSTOMER_PORTAL_URL',
];
const SECRETS = ['aigw_signing_key', 'aigw_validation_key', 'duo_workflow_jwt_key', 'duo_workflow_validation_key'];

const tmp = tempDir('ferry-container-spec-');
afterAll(() => tmp.cleanup());
const secretDir = join(tmp.path, "it's secrets"); // a quote in the path: the display command must still work
let aigw: ContainerSpec;
let vllm: ContainerSpec;

const secretValue = (name: string, n = 1): string => `-----BEGIN PRIVATE KEY-----\nMIIE${name}${n}Zm9vYmFy\n-----END PRIVATE KEY-----\n`;
function ctx(rotation = 1, params: Record<string, string> = {}): InstallTemplateContext {
  return {
    params: { gitlab_domain: 'gitlab.internal.example.com', served_model_name: 'custom_openai/mistral-small-3.2-24b', tensor_parallel_size: '2', ...params },
    secretFiles: Object.fromEntries(SECRETS.map((s) => [s, join(secretDir, `${s}.key`)])),
    secretValues: Object.fromEntries(SECRETS.map((s) => [s, secretValue(s, rotation)])),
    artifacts: { model: '/data/models/mistral-small-3.2-24b', 'ai-gateway': 'registry.internal.example.com/duo/ai-gateway:self-hosted-v18.10.0-ee' },
  };
}
const input = (container: ContainerSpec, over: Partial<ContainerPlanInput> = {}): ContainerPlanInput => ({
  container,
  image: container.name === 'vllm' ? 'registry.internal.example.com/duo/vllm-openai:v0.18.1' : 'registry.internal.example.com/duo/ai-gateway:self-hosted-v18.10.0-ee',
  name: `ferry-${container.name}`,
  installId: 'inst-1',
  ctx: ctx(),
  engine: 'docker',
  gpu: 'require',
  ...over,
});

/** What a POSIX shell passes to `docker` when the display command is pasted (secret files present). */
function shellArgs(command: string): string[] {
  const script = `docker() { for a in "$@"; do printf '%s\\0' "$a"; done; }\n${command}\n`;
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\0').slice(0, -1);
}
const flagValues = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));

beforeAll(async () => {
  const { recipe } = await loadRecipeFile(join(builtinRecipesDir(), 'gitlab-duo-self-hosted.yaml'), 'builtin');
  const find = (n: string): ContainerSpec => recipe.install!.containers!.find((c) => c.name === n)!;
  aigw = find('ai-gateway');
  vllm = find('vllm');
  mkdirSync(secretDir, { recursive: true });
  for (const s of SECRETS) writeFileSync(join(secretDir, `${s}.key`), secretValue(s), { mode: 0o600 });
});

describe('planContainer: AI Gateway', () => {
  it('creates the container with the env and ports of the GitLab docs, labelled as Ferry’s', () => {
    const plan = planContainer(input(aigw));
    const env = plan.create.Env!;
    expect(env.map((e) => e.slice(0, e.indexOf('=')))).toEqual(SEED_AIGW_ENV);
    expect(env).toContain('AIGW_GITLAB_URL=https://gitlab.internal.example.com');
    expect(env).toContain('AIGW_GITLAB_API_URL=https://gitlab.internal.example.com/api/v4/');
    expect(env).toContain('DUO_WORKFLOW_AUTH__ENABLED=true');
    expect(env).toContain('DUO_WORKFLOW_AUTH__OIDC_CUSTOMER_PORTAL_URL=');
    expect(env).toContain(`AIGW_SELF_SIGNED_JWT__SIGNING_KEY=${secretValue('aigw_signing_key').trimEnd()}`); // as "$(cat FILE)" gives it
    expect(plan.create).toMatchObject({
      name: 'ferry-ai-gateway',
      Image: 'registry.internal.example.com/duo/ai-gateway:self-hosted-v18.10.0-ee',
      ExposedPorts: { '5052/tcp': {}, '50052/tcp': {} },
      HostConfig: {
        PortBindings: { '5052/tcp': [{ HostIp: '', HostPort: '5052' }], '50052/tcp': [{ HostIp: '', HostPort: '50052' }] },
        RestartPolicy: { Name: 'unless-stopped' },
        Binds: [],
      },
      Labels: { 'io.ferry.install': 'inst-1', 'io.ferry.container': 'ai-gateway', 'io.ferry.config-hash': plan.configHash },
    });
    expect(plan.create.Cmd).toBeUndefined();
    expect(plan.create.HostConfig!.DeviceRequests).toBeUndefined();
    expect(plan.configHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('shows a docker run that never holds a secret value and that the shell turns into the same env', () => {
    const plan = planContainer(input(aigw));
    for (const s of SECRETS) {
      expect(plan.command).not.toContain(secretValue(s));
      expect(plan.command).not.toContain(`MIIE${s}`);
      expect(plan.command).toContain(`="$(cat '${join(secretDir, `${s}.key`).replace(/'/g, `'\\''`)}')"`);
    }
    expect(plan.command).toMatch(/^docker run --detach \\\n {2}--name ferry-ai-gateway/);
    expect(plan.command).toContain('--publish 5052:5052');
    expect(plan.command).toContain('--publish 50052:50052');
    expect(plan.command).toMatch(/--env DUO_WORKFLOW_AUTH__OIDC_CUSTOMER_PORTAL_URL= \\\n/);
    expect(plan.command).toContain('--env DUO_WORKFLOW_AUTH__ENABLED=true');
    expect(plan.command).toContain('--env AIGW_GITLAB_API_URL=https://gitlab.internal.example.com/api/v4/');
    expect(plan.command.trimEnd().endsWith('registry.internal.example.com/duo/ai-gateway:self-hosted-v18.10.0-ee')).toBe(true);

    // Pasted into a shell (secret files in place), it gives docker exactly the create options.
    const args = shellArgs(plan.command);
    expect(args.slice(0, 2)).toEqual(['run', '--detach']);
    expect(flagValues(args, '--env')).toEqual(plan.create.Env);
    expect(flagValues(args, '--publish')).toEqual(['5052:5052', '50052:50052']);
    expect(flagValues(args, '--name')).toEqual(['ferry-ai-gateway']);
    expect(flagValues(args, '--restart')).toEqual(['unless-stopped']);
    expect(args[args.length - 1]).toBe(plan.create.Image);
  });

  it('config hash: stable, changed by a key rotation (command unchanged) or a parameter', () => {
    const a = planContainer(input(aigw));
    expect(planContainer(input(aigw)).configHash).toBe(a.configHash);
    const rotated = planContainer(input(aigw, { ctx: ctx(2) }));
    expect(rotated.configHash).not.toBe(a.configHash);
    expect(rotated.command).toBe(a.command);
    expect(planContainer(input(aigw, { ctx: ctx(1, { gitlab_domain: 'gl2.internal.example.com' }) })).configHash).not.toBe(a.configHash);
    expect(planContainer(input(aigw, { image: 'other/ai-gateway:x' })).configHash).not.toBe(a.configHash);
  });

  it('mounts the GitLab CA bundle read-only and points REQUESTS_CA_BUNDLE and SSL_CERT_FILE at it', () => {
    const plan = planContainer(input(aigw, { caFile: '/etc/pki/gitlab ca.pem' }));
    expect(plan.create.HostConfig!.Binds).toEqual([`/etc/pki/gitlab ca.pem:${CA_BUNDLE_PATH}:ro`]);
    expect(plan.create.Env).toEqual(expect.arrayContaining([`REQUESTS_CA_BUNDLE=${CA_BUNDLE_PATH}`, `SSL_CERT_FILE=${CA_BUNDLE_PATH}`]));
    expect(flagValues(shellArgs(plan.command), '--volume')).toEqual([`/etc/pki/gitlab ca.pem:${CA_BUNDLE_PATH}:ro`]);
    // vLLM has no caBundle: the file is not mounted there.
    expect(planContainer(input(vllm, { caFile: '/etc/pki/gitlab-ca.pem' })).create.HostConfig!.Binds).toEqual(['/data/models/mistral-small-3.2-24b:/model']);
    expect(() => planContainer(input(aigw, { caFile: 'ca.pem' }))).toThrow(/"ca\.pem" is not an absolute path/);
  });

  it('joins a user-defined network under its recipe name', () => {
    const plan = planContainer(input(aigw, { network: 'ferry-net' }));
    expect(plan.create.HostConfig!.NetworkMode).toBe('ferry-net');
    expect(plan.create.NetworkingConfig).toEqual({ EndpointsConfig: { 'ferry-net': { Aliases: ['ai-gateway'] } } });
    expect(plan.command).toContain('--network ferry-net \\\n  --network-alias ai-gateway');
  });
});

describe('planContainer: vLLM', () => {
  it('asks for all GPUs, mounts the weights at /model and passes the served name and tensor parallel size', () => {
    const plan = planContainer(input(vllm));
    expect(plan.create.Cmd).toEqual(['--model', '/model', '--served_model_name', 'custom_openai/mistral-small-3.2-24b', '--tensor-parallel-size', '2']);
    expect(plan.create.HostConfig).toMatchObject({
      Binds: ['/data/models/mistral-small-3.2-24b:/model'],
      PortBindings: { '8000/tcp': [{ HostIp: '', HostPort: '8000' }] },
      DeviceRequests: [{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }],
    });
    expect(plan.command).toContain('--gpus all');
    expect(plan.command).toContain('--volume /data/models/mistral-small-3.2-24b:/model');
    expect(plan.command).toContain('--served_model_name custom_openai/mistral-small-3.2-24b');
    const args = shellArgs(plan.command);
    expect(args.slice(args.indexOf(plan.create.Image!) + 1)).toEqual(plan.create.Cmd);
    expect(flagValues(args, '--gpus')).toEqual(['all']);
  });

  it("gpu 'none' drops the device request; Podman uses the CDI flags of the GitLab docs", () => {
    const none = planContainer(input(vllm, { gpu: 'none' }));
    expect(none.create.HostConfig!.DeviceRequests).toBeUndefined();
    expect(none.command).not.toContain('--gpus');
    const podman = planContainer(input(vllm, { engine: 'podman' }));
    expect(podman.command).toMatch(/^podman run --detach/);
    expect(podman.command).toContain('--device nvidia.com/gpu=all \\\n  --security-opt label=disable');
    expect(podman.create.HostConfig!.SecurityOpt).toEqual(['label=disable']);
  });

  it('expands its health checks in order, the second expecting the served model name', () => {
    expect(healthChecksFor(vllm, ctx())).toEqual([
      { http: 'http://127.0.0.1:8000/health', name: 'vllm' },
      { http: 'http://127.0.0.1:8000/v1/models', expectBody: 'custom_openai/mistral-small-3.2-24b', name: 'vllm' },
    ]);
    expect(healthChecksFor(aigw, ctx())).toEqual([{ http: 'http://127.0.0.1:5052/monitoring/healthz', name: 'ai-gateway' }]);
  });
});

describe('planContainer: errors name the field', () => {
  const base: ContainerSpec = { name: 'web', image: 'web' };
  it('ports, volumes and missing values', () => {
    expect(planContainer(input({ ...base, ports: ['127.0.0.1:8000:8000/tcp'] })).create.HostConfig!.PortBindings).toEqual({ '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '8000' }] });
    expect(() => planContainer(input({ ...base, ports: ['70000:80'] }))).toThrow(/install\.containers\[web\]\.ports\.0: "70000:80"/);
    expect(() => planContainer(input({ ...base, volumes: ['models:/model'] }))).toThrow(/install\.containers\[web\]\.volumes\.0: host path "models" is not absolute/);
    expect(() => planContainer(input({ ...base, volumes: ['/srv/x:model:ro'] }))).toThrow(/container path "model" is not absolute/);
    expect(planContainer(input({ ...base, volumes: ['${artifact.model}:/model:ro'] })).create.HostConfig!.Binds).toEqual(['/data/models/mistral-small-3.2-24b:/model:ro']);
    expect(() => planContainer(input({ ...base, env: { U: 'https://${nope}' } }))).toThrow(/install\.containers\[web\]\.env\.U: parameter "nope" has no value/);
  });
});

describe('recipe: health lists and caBundle', () => {
  const recipe = (container: Record<string, unknown>) =>
    RecipeSchema.parse({
      format: 'ferry.recipe.v1',
      id: 'mine',
      title: 'Mine',
      version: '1',
      parameters: [{ name: 'model_name', type: 'string', default: 'm', stage: 'install' }],
      artifacts: { images: [{ id: 'web', source: 'registry.example/web', tag: '1' }] },
      install: { containers: [{ name: 'web', image: 'web', ...container }] },
    });
  it('accepts one check or a list with expectBody, timeout and caBundle', () => {
    const r = recipe({ caBundle: true, health: [{ http: 'http://127.0.0.1:8000/health', timeout: 900 }, { http: 'http://127.0.0.1:8000/v1/models', expectBody: '${model_name}' }, { cmd: ['/bin/true'] }] });
    expect(checkRecipe(r)).toEqual([]);
    expect(checkRecipe(recipe({ health: { http: 'http://127.0.0.1:8000/health' } }))).toEqual([]);
    expect(() => recipe({ health: [] })).toThrow();
    expect(() => recipe({ caBundle: 'yes' })).toThrow();
  });
  it('names a bad reference or URL in a listed check', () => {
    expect(checkRecipe(recipe({ health: [{ http: 'http://127.0.0.1:8000/health' }, { http: 'http://127.0.0.1:8000/v1/models', expectBody: '${nope}' }] }))).toEqual([
      'install.containers.0.health.1.expectBody: no parameter "nope"',
    ]);
    expect(checkRecipe(recipe({ health: { http: '127.0.0.1:8000/health' } }))).toEqual(['install.containers.0.health.http: must be an http:// or https:// URL']);
    expect(checkRecipe(recipe({ health: [{ cmd: ['check', '${secret.k}'] }] }))).toEqual(['install.containers.0.health.0.cmd.1: no secret "k" in install.secrets']);
  });
});
