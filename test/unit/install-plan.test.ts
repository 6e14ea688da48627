import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FerryError, UsageError } from '../../src/shared/errors';
import type { BundleManifest, ImageArtifact, ModelArtifact } from '../../src/main/bundle/manifest-schema';
import { activeVerify, bindInstallParams, bundleArtifacts, layoutSteps, orderContainers, stepsUsing, withRegistryParam } from '../../src/main/install/plan/install-plan';
import type { StoredRequest } from '../../src/main/install/install-store';
import type { PlannedStep, StoredPlan } from '../../src/main/install/install-types';
import type { Lock, LockImage } from '../../src/main/recipes/lock-schema';
import { loadRecipeFile } from '../../src/main/recipes/recipe-catalog';
import type { Recipe } from '../../src/main/recipes/recipe-schema';

// Pure planning from a bundle's recipe + lock + manifest: the built-in recipes as shipped,
// manifests and locks shaped as `ferry bundle create` writes them (no engine, no registry).

const RECIPES = join(__dirname, '../../resources/recipes');
const hex = (c: string): string => c.repeat(64);
const dg = (c: string): string => `sha256:${hex(c)}`;
let duo: Recipe;
let kt: Recipe;

beforeAll(async () => {
  duo = (await loadRecipeFile(join(RECIPES, 'gitlab-duo-self-hosted.yaml'), 'builtin')).recipe;
  kt = (await loadRecipeFile(join(RECIPES, 'keeptrusts-airgapped.yaml'), 'builtin')).recipe;
});

interface Img { id: string; source: string; tag: string; target: string; digest: string }

function lockImage(i: Img): LockImage {
  const [registry, ...rest] = i.source.split('/');
  const desc = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: dg('0'), size: 1 };
  return { id: i.id, source: i.source, from: 'registry', registry: registry!, repository: rest.join('/'), tag: i.tag, target: i.target, digest: i.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', platform: 'linux/amd64', manifest: '', config: desc, layers: [], size: 1 };
}

function manifestImage(i: Img): ImageArtifact {
  const [registry, ...rest] = i.source.split('/');
  return { kind: 'image', name: `${i.target}:${i.tag}`, source: i.source, registry: registry!, repository: rest.join('/'), tag: i.tag, target: i.target, digest: i.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', platform: 'linux/amd64', size: 1, config: dg('0'), layers: [] };
}

function modelArtifact(repo: string, revision: string, totalBytes?: number): ModelArtifact {
  const m: ModelArtifact = { kind: 'model', name: repo.replace('/', '--'), source: `hf://${repo}`, hubUrl: 'https://hub.invalid', repo, requestedRevision: 'main', revision, dir: `models/${repo.replace('/', '--')}`, size: 42, files: [] };
  if (totalBytes !== undefined) m.scan = { scannedAt: '2025-01-01T00:00:00Z', files: 1, bytes: 1, findings: [], blocked: false, antivirus: { status: 'not-run' }, errors: [], gpuMemory: { weightsBytes: totalBytes, kvCacheBytes: 0, overheadBytes: 0, totalBytes, assumptions: [] } };
  return m;
}

function bundle(imgs: Img[], models: ModelArtifact[], extra: BundleManifest['extraArtifacts'] = [], derived: Img[] = []): { manifest: BundleManifest; lock: (params: Lock['params']) => Lock } {
  const manifest: BundleManifest = {
    format: 'ferry.bundle.v1', bundleId: '0c6b1f0e-4f7a-4c55-9d8e-2d3f1a6b7c8d', createdAt: '2025-01-01T00:00:00Z', createdBy: { actor: 'a', station: 's' }, tool: { name: 'ferry', version: '0' },
    artifacts: [...[...imgs, ...derived].map(manifestImage), ...models], files: [], extraArtifacts: extra,
  };
  const lock = (params: Lock['params']): Lock => ({
    format: 'ferry.lock.v1', recipe: { id: 'r', version: '1.0.0', title: 't', origin: 'builtin' }, params, platform: 'linux/amd64', resolvedAt: '2025-01-01T00:00:00Z',
    images: imgs.map(lockImage), models: models.map((m, i) => ({ id: i === 0 ? 'model' : `model-${i}`, from: 'hub', hubUrl: m.hubUrl, repo: m.repo, requestedRevision: 'main', revision: m.revision, files: [], size: m.size })), ollama: [], files: [],
    derived: derived.map((d) => ({ id: d.id, from: 'flow-executor', baseSource: 'x', target: d.target, tag: d.tag, npm: { package: '@gitlab/duo-cli', version: '8.86.0', registry: 'r', tarball: 't', integrity: 'sha512-AA==', size: 1 } })),
    totalBytes: 0,
  });
  return { manifest, lock };
}

const GW = 'registry.gitlab.com/gitlab-org/modelops/applied-ml/code-suggestions/ai-assist/model-gateway';
const duoImages = (fips: boolean): Img[] => [
  fips ? { id: 'ai-gateway-fips', source: `${GW}/self-hosted-fips`, tag: 'self-hosted-v18.10.0-ee', target: 'ai-gateway', digest: dg('a') } : { id: 'ai-gateway', source: GW, tag: 'self-hosted-v18.10.0-ee', target: 'ai-gateway', digest: dg('a') },
  { id: 'flow-executor', source: 'registry.gitlab.com/gitlab-org/duo-workflow/default-docker-image/workflow-generic-image', tag: 'v1.2.3', target: 'workflow-generic-image', digest: dg('b') },
  { id: 'vllm', source: 'docker.io/vllm/vllm-openai', tag: 'v0.18.1', target: 'vllm-openai', digest: dg('c') },
];
const DUO_MODEL = 'mistralai/Mistral-Small-3.2-24B-Instruct-2506';
const executor: Img = { id: 'duo-executor', source: 'registry.gitlab.com/gitlab-org/duo-workflow/default-docker-image/workflow-generic-image', tag: 'v1.2.3', target: 'duo-executor', digest: dg('d') };
const duoSet = { gitlab_domain: 'gitlab.internal.test', ai_gateway_host: 'aigw.internal.test', internal_registry: 'registry.internal:5000/duo' };
const PASSWORD = 'internal-registry-pw-9f3k';
const request = { dir: '/bundle', registry: 'registry.internal:5000/duo', username: 'ferry', password: PASSWORD, modelsDir: '/data/models', gpu: 'require', egress: { outside: ['192.0.2.9:443'] } } as StoredRequest;

function duoPlan(fips: boolean, extraSet: Record<string, string | boolean> = {}, recipe: Recipe = duo): Omit<StoredPlan, 'steps'> {
  const b = bundle(duoImages(fips), [modelArtifact(DUO_MODEL, 'e'.repeat(40), 50_000_000_000)], [], [executor]);
  const lock = b.lock({ fips, clickhouse: false });
  return { bundleId: b.manifest.bundleId, recipe, recipeSha256: hex('f'), bundleDir: '/bundle', ...bindInstallParams(recipe, lock, { ...duoSet, ...extraSet }), ...bundleArtifacts(b.manifest, lock), engine: 'docker' };
}

const ids = (steps: PlannedStep[]): string[] => steps.map((s) => s.id);
const lay = (plan: Omit<StoredPlan, 'steps'>, req: StoredRequest = request): PlannedStep[] => layoutSteps({ installId: 'i-1', dataDir: '/data', request: req, engine: 'docker', plan });

describe('bundleArtifacts', () => {
  it('names images and models by the recipe ids in the lock (derived images by target) and sums the GPU estimate', () => {
    const b = bundle(duoImages(false), [modelArtifact(DUO_MODEL, 'e'.repeat(40), 7), modelArtifact('org/other', '1'.repeat(40), 5)], [], [executor]);
    const r = bundleArtifacts(b.manifest, b.lock({}));
    expect(r.images.map((i) => [i.id, i.target, i.digest])).toEqual([['ai-gateway', 'ai-gateway', dg('a')], ['flow-executor', 'workflow-generic-image', dg('b')], ['vllm', 'vllm-openai', dg('c')], ['duo-executor', 'duo-executor', dg('d')]]);
    expect(r.images[0]).toMatchObject({ name: 'ai-gateway:self-hosted-v18.10.0-ee', registry: 'registry.gitlab.com', tag: 'self-hosted-v18.10.0-ee' });
    expect(r.models).toEqual([
      { id: 'model', repo: DUO_MODEL, revision: 'e'.repeat(40), size: 42, dir: 'models/mistralai--Mistral-Small-3.2-24B-Instruct-2506' },
      { id: 'model-1', repo: 'org/other', revision: '1'.repeat(40), size: 42, dir: 'models/org--other' },
    ]);
    expect(r.neededBytes).toBe(12);
    expect(r.files).toEqual([]);
  });

  it('leaves neededBytes out without a scan estimate and lists files artifacts', () => {
    const files = [{ kind: 'files' as const, name: 'policy-config', source: '/in/p.yaml', dir: 'files/policy-config', size: 3, files: [{ path: 'policy-config.yaml', size: 3, sha256: hex('9') }] }];
    const r = bundleArtifacts(bundle([], [modelArtifact('org/m', '2'.repeat(40))], files).manifest, bundle([], [modelArtifact('org/m', '2'.repeat(40))]).lock({}));
    expect(r).not.toHaveProperty('neededBytes');
    expect(r.files).toEqual([{ id: 'policy-config', dir: 'files/policy-config', files: [{ path: 'policy-config.yaml', size: 3, sha256: hex('9') }] }]);
  });
});

describe('bindInstallParams', () => {
  it('names every missing required install parameter in one UsageError', () => {
    const err = (() => { try { bindInstallParams(duo, bundle([], []).lock({}), {}); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(UsageError);
    const e = err as UsageError;
    expect(e.message).toBe('Install parameters "gitlab_domain", "ai_gateway_host", "internal_registry" need a value.');
    expect(e.hint).toContain('--set gitlab_domain=VALUE (Domain of the GitLab instance');
    expect(e.hint).toContain('--set internal_registry=VALUE');
    expect(() => bindInstallParams(duo, bundle([], []).lock({}), { gitlab_domain: 'g', ai_gateway_host: 'h' })).toThrow(/^Install parameter "internal_registry" needs a value\.$/);
  });

  it('binds lock values and install values; records which the admin set', () => {
    const r = bindInstallParams(duo, bundle([], []).lock({ fips: true, gitlab_version: '18.11.0' }), { ...duoSet, tensor_parallel_size: '2', fips: 'true' });
    expect(r.params).toMatchObject({ fips: true, gitlab_version: '18.11.0', tensor_parallel_size: '2', served_model_name: 'custom_openai/mistral-small-3.2-24b', gitlab_domain: 'gitlab.internal.test' });
    expect(r.setByAdmin.sort()).toEqual(['ai_gateway_host', 'gitlab_domain', 'internal_registry', 'tensor_parallel_size']);
    expect(r.parameters.map((p) => [p.name, p.value, p.required])).toEqual([
      ['served_model_name', 'custom_openai/mistral-small-3.2-24b', false], ['tensor_parallel_size', '2', false],
      ['gitlab_domain', 'gitlab.internal.test', true], ['ai_gateway_host', 'aigw.internal.test', true], ['internal_registry', 'registry.internal:5000/duo', true],
    ]);
  });

  it('refuses changing an acquire parameter fixed in the lock, an unknown name and a bad install value', () => {
    expect(() => bindInstallParams(duo, bundle([], []).lock({ fips: false }), { ...duoSet, fips: true })).toThrow(/Parameter "fips" was fixed when the bundle was created \(false\)/);
    expect(() => bindInstallParams(duo, bundle([], []).lock({}), { ...duoSet, nope: 'x' })).toThrow(UsageError);
    expect(() => bindInstallParams(duo, bundle([], []).lock({}), { ...duoSet, tensor_parallel_size: 'two' })).toThrow(/tensor_parallel_size.*does not match/);
  });
});

describe('GitLab Duo layout', () => {
  it('orders the steps: verify, push, models, preflight, secrets, containers, health, egress, outputs, agent-config', () => {
    expect(ids(lay(duoPlan(false)))).toEqual(['verify', 'push', 'models', 'preflight', 'secrets', 'container:ai-gateway', 'container:vllm', 'health', 'egress', 'outputs', 'agent-config']);
  });

  it('fips=true runs ai-gateway-fips instead of ai-gateway; clickhouse only when asked', () => {
    const plan = duoPlan(true);
    expect(orderContainers(plan.recipe, plan.params).map((c) => c.name)).toEqual(['ai-gateway-fips', 'vllm']);
    expect(ids(lay(plan))).toContain('container:ai-gateway-fips');
    expect(ids(lay(plan))).not.toContain('container:ai-gateway');
    expect(lay(plan).find((s) => s.id === 'container:ai-gateway-fips')!.command).toContain('registry.internal:5000/duo/ai-gateway:self-hosted-v18.10.0-ee');
    expect(orderContainers(duo, { ...plan.params, clickhouse: true }).map((c) => c.name)).toEqual(['ai-gateway-fips', 'vllm', 'clickhouse']);
    expect(activeVerify(duo, plan.params)).toEqual([]);
  });

  it('has a GPU preflight only when a container asks for GPUs', () => {
    const noGpu = structuredClone(duo);
    for (const c of noGpu.install!.containers!) delete c.gpu;
    expect(ids(lay(duoPlan(false, {}, noGpu)))).not.toContain('preflight');
    const gpuNone = structuredClone(duo);
    gpuNone.install!.containers!.find((c) => c.name === 'vllm')!.gpu = 'none';
    expect(ids(lay(duoPlan(false, {}, gpuNone)))).not.toContain('preflight');
    expect(lay(duoPlan(false)).find((s) => s.id === 'preflight')!.command).toContain('nvidia-smi --query-gpu');
  });

  it('shows secrets as $(cat FILE) and never a secret value or the registry password', () => {
    const steps = lay(duoPlan(false));
    const aigw = steps.find((s) => s.id === 'container:ai-gateway')!.command;
    expect(aigw).toContain(`AIGW_SELF_SIGNED_JWT__SIGNING_KEY="$(cat '/data/installs/i-1/secrets/aigw_signing_key.key')"`);
    expect(aigw).toContain('--password-stdin');
    expect(steps.find((s) => s.id === 'secrets')!.command).toContain('openssl genrsa -out /data/installs/i-1/secrets/duo_workflow_jwt_key.key 2048 && chmod 600');
    for (const s of steps) {
      expect(s.command).not.toContain(PASSWORD);
      expect(s.description).not.toContain(PASSWORD);
      expect(s.command).not.toMatch(/<(aigw_signing_key|aigw_validation_key|duo_workflow_jwt_key|duo_workflow_validation_key)>/);
    }
  });

  it('uses the install values in vLLM and the outputs', () => {
    const steps = lay(duoPlan(false, { served_model_name: 'custom_openai/m', tensor_parallel_size: '4' }));
    expect(steps.find((s) => s.id === 'container:vllm')!.command).toMatch(/--served_model_name custom_openai\/m \\\n\s+--tensor-parallel-size 4$/);
    expect(steps.find((s) => s.id === 'container:vllm')!.command).toContain('/data/models/mistralai/Mistral-Small-3.2-24B-Instruct-2506:/model');
    expect(steps.find((s) => s.id === 'outputs')!.command).toContain('# Admin > GitLab Duo > Local AI Gateway URL: http://aigw.internal.test:5052');
    expect(steps.find((s) => s.id === 'outputs')!.command).toContain('registry.internal:5000/duo/duo-executor:v1.2.3');
  });
});

describe('Keeptrusts layout', () => {
  const ktBundle = (runtime: 'vllm' | 'ollama'): Omit<StoredPlan, 'steps'> => {
    const imgs: Img[] = ['api', 'gateway', 'console', 'admin'].map((n, i) => ({ id: n, source: `docker.io/keeptrusts/${n}`, tag: '2.5.0', target: n, digest: dg(String(i + 1)) }));
    imgs.push({ id: 'postgres', source: 'docker.io/library/postgres', tag: '16-alpine', target: 'postgres', digest: dg('5') });
    imgs.push(runtime === 'vllm' ? { id: 'vllm', source: 'docker.io/vllm/vllm-openai', tag: 'latest', target: 'vllm-openai', digest: dg('6') } : { id: 'ollama', source: 'docker.io/ollama/ollama', tag: 'latest', target: 'ollama', digest: dg('7') });
    const files = ['policy-config', 'knowledge'].map((n) => ({ kind: 'files' as const, name: n, source: `/in/${n}`, dir: `files/${n}`, size: 1, files: [{ path: 'a.md', size: 1, sha256: hex('8') }] }));
    const b = bundle(imgs, runtime === 'vllm' ? [modelArtifact('meta-llama/Llama-3.1-8B-Instruct', 'c'.repeat(40))] : [], files);
    const lock = b.lock({ runtime, policy_config: '/in/policy-config.yaml', knowledge_dir: '/in/knowledge' });
    return { bundleId: b.manifest.bundleId, recipe: kt, recipeSha256: hex('f'), bundleDir: '/bundle', ...bindInstallParams(kt, lock, {}), ...bundleArtifacts(b.manifest, lock), engine: 'docker' };
  };

  it('runtime vllm: models and files placed before postgres, then keeptrusts-api, local-llm, verify-stack "chat"', () => {
    const steps = lay(ktBundle('vllm'));
    expect(ids(steps)).toEqual(['verify', 'push', 'models', 'files', 'preflight', 'secrets', 'container:postgres', 'container:keeptrusts-api', 'container:keeptrusts-gateway', 'container:keeptrusts-console', 'container:keeptrusts-admin', 'container:local-llm', 'health', 'verify-stack', 'egress', 'outputs']);
    expect(steps.find((s) => s.id === 'files')!.description).toContain('policy-config, knowledge');
    expect(steps.find((s) => s.id === 'verify-stack')!.command).toContain('"model":"llama3.1"');
    const api = steps.find((s) => s.id === 'container:keeptrusts-api')!.command;
    expect(api).toContain(`--env DATABASE_URL=postgres://keeptrusts:"$(cat '/data/installs/i-1/secrets/db_password.key')"@postgres:5432/keeptrusts \\\n`);
    expect(api).toMatch(/# wait until postgres is healthy:\nuntil docker exec ferry-postgres/);
  });

  it('runtime ollama: ollama restore instead of model weights, container ollama, verify-stack "chat-ollama"', () => {
    const plan = ktBundle('ollama');
    const steps = lay(plan);
    expect(ids(steps)).toEqual(['verify', 'push', 'ollama', 'files', 'preflight', 'secrets', 'container:postgres', 'container:keeptrusts-api', 'container:keeptrusts-gateway', 'container:keeptrusts-console', 'container:keeptrusts-admin', 'container:ollama', 'health', 'verify-stack', 'egress', 'outputs']);
    expect(steps.find((s) => s.id === 'ollama')!.command).toBe('ferry import /bundle --ollama-models /data/models/ollama');
    expect(activeVerify(kt, plan.params).map((v) => v.name)).toEqual(['chat-ollama']);
  });

  it('undoing postgres makes the containers that depend on it run again, then health, the stack check and egress', () => {
    const plan = ktBundle('ollama');
    const steps = lay(plan);
    expect(stepsUsing({ ...plan, steps }, 'container:postgres')).toEqual(['container:keeptrusts-api', 'health', 'verify-stack', 'egress']);
    expect(stepsUsing({ ...plan, steps }, 'container:keeptrusts-console')).toEqual(['health', 'verify-stack', 'egress']);
  });

  it('puts postgres before keeptrusts-api whatever the recipe order, and refuses a dependency cycle', () => {
    const swapped = structuredClone(kt);
    swapped.install!.containers!.reverse();
    expect(orderContainers(swapped, { runtime: 'vllm' }).map((c) => c.name)).toEqual(['local-llm', 'keeptrusts-admin', 'keeptrusts-console', 'keeptrusts-gateway', 'postgres', 'keeptrusts-api']);
    const cycle = structuredClone(kt);
    cycle.install!.containers!.find((c) => c.name === 'postgres')!.dependsOn = ['keeptrusts-api'];
    expect(() => orderContainers(cycle, { runtime: 'vllm' })).toThrow(FerryError);
    expect(() => orderContainers(cycle, { runtime: 'vllm' })).toThrow(/cycle \(postgres → keeptrusts-api → postgres\)/);
  });
});

describe('internal_registry and --registry', () => {
  const { internal_registry: _r, ...withoutRegistry } = duoSet;

  it('takes internal_registry from --registry when it is not given', () => {
    const given = withRegistryParam(duo, 'registry.internal:5000/duo', withoutRegistry);
    expect(given).toEqual({ ...withoutRegistry, internal_registry: 'registry.internal:5000/duo' });
    expect(bindInstallParams(duo, bundle([], []).lock({}), given).params.internal_registry).toBe('registry.internal:5000/duo');
  });

  it('accepts the same registry written another way, and leaves recipes without the parameter alone', () => {
    expect(withRegistryParam(duo, 'registry.internal:5000/duo', { internal_registry: 'https://Registry.Internal:5000/duo/' })).toEqual({ internal_registry: 'https://Registry.Internal:5000/duo/' });
    expect(withRegistryParam(kt, 'registry.internal:5000/kt', { runtime: 'vllm' })).toEqual({ runtime: 'vllm' });
    expect(withRegistryParam(duo, undefined, withoutRegistry)).toEqual(withoutRegistry);
  });

  it('refuses a value that disagrees with --registry, naming both', () => {
    for (const other of ['registry.internal:5000/other', 'elsewhere.example/duo', 'not a registry']) {
      const err = (() => { try { withRegistryParam(duo, 'registry.internal:5000/duo', { ...withoutRegistry, internal_registry: other }); } catch (e) { return e; } })();
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toBe(`Parameter "internal_registry" is ${other} but the images are pushed to registry.internal:5000/duo (--registry): GitLab would be told another registry than the one holding the images.`);
      expect((err as UsageError).hint).toContain('defaults to --registry');
    }
  });
});

describe('stepsUsing (what an undo makes run again)', () => {
  it('a Duo container: the health and egress checks after it, not the steps before or the outputs', () => {
    const plan = duoPlan(false);
    const steps = lay(plan);
    expect(stepsUsing({ ...plan, steps }, 'container:vllm')).toEqual(['health', 'egress']);
    expect(stepsUsing({ ...plan, steps }, 'container:ai-gateway')).toEqual(['health', 'egress']);
    expect(stepsUsing({ ...plan, steps }, 'push')).toEqual([]);
  });

});

