import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { execForm } from '../../src/main/install/engine/container-spec';
import { renderCompose } from '../../src/main/install/plan/compose-export';
import { layoutSteps } from '../../src/main/install/plan/install-plan';
import type { StoredRequest } from '../../src/main/install/install-store';
import type { PlanImage, StoredPlan } from '../../src/main/install/install-types';
import { yamlProblem } from '../../src/main/install/steps/step-files';
import { bindParams } from '../../src/main/recipes/params';
import { RecipeSchema } from '../../src/main/recipes/recipe-schema';

const recipe = RecipeSchema.parse(parse(readFileSync(join(__dirname, '../../resources/recipes/keeptrusts-airgapped.yaml'), 'utf8')));
const params = bindParams(recipe, { policy_config: '/in/policy-config.yaml', knowledge_dir: '/in/knowledge' });
const img = (id: string, target: string, tag: string): PlanImage => ({ id, name: `${target}:${tag}`, source: `docker.io/x/${target}`, registry: 'docker.io', repository: `x/${target}`, target, tag, digest: `sha256:${'a'.repeat(64)}` });
const plan: Omit<StoredPlan, 'steps'> = {
  bundleId: 'b-1',
  recipe,
  recipeSha256: 'f'.repeat(64),
  bundleDir: '/bundle',
  params,
  setByAdmin: [],
  parameters: [],
  images: [img('api', 'api', '2.5.0'), img('gateway', 'gateway', '2.5.0'), img('console', 'console', '2.5.0'), img('admin', 'admin', '2.5.0'), img('postgres', 'postgres', '16-alpine'), img('vllm', 'vllm-openai', 'latest')],
  models: [{ id: 'model', repo: 'meta-llama/Llama-3.1-8B-Instruct', revision: 'c'.repeat(40), size: 1, dir: 'models/meta-llama--Llama-3.1-8B-Instruct' }],
  files: [
    { id: 'policy-config', dir: 'files/policy-config', files: [{ path: 'policy-config.yaml', size: 1, sha256: 'b'.repeat(64) }] },
    { id: 'knowledge', dir: 'files/knowledge', files: [{ path: 'policies.md', size: 1, sha256: 'c'.repeat(64) }] },
  ],
  engine: 'docker',
};
const request: StoredRequest = { dir: '/bundle', registry: 'registry.internal:5000/kt', modelsDir: '/data/models', gpu: 'require', egress: { outside: ['192.0.2.9:443'] } };
const secretValues = { db_password: 'pa$$word+/=\n', jwt_secret: 'a'.repeat(64), encryption_key: 'b'.repeat(64) };

describe('keeptrusts install plan', () => {
  it('lays out files before containers, Postgres first, verify-stack after health', () => {
    const steps = layoutSteps({ installId: 'i-1', dataDir: '/data', request, engine: 'docker', plan }).map((s) => s.id);
    expect(steps).toEqual(['verify', 'push', 'models', 'files', 'preflight', 'secrets', 'container:postgres', 'container:keeptrusts-api', 'container:keeptrusts-gateway', 'container:keeptrusts-console', 'container:keeptrusts-admin', 'container:local-llm', 'health', 'verify-stack', 'egress', 'outputs']);
  });
});

describe('renderCompose', () => {
  const r = renderCompose({ record: { id: 'i-1', plan: { ...plan, steps: [] }, request }, dataDir: '/data', secretValues });
  const doc = parse(r.compose) as { services: Record<string, Record<string, unknown>>; volumes: Record<string, unknown>; networks: Record<string, unknown> };

  it('writes secrets as ${VAR} from .env, never their values, and escapes $ in the values file only as given', () => {
    expect(r.compose).not.toContain('pa$$word');
    expect(doc.services['keeptrusts-api']!.environment).toMatchObject({ DATABASE_URL: 'postgres://keeptrusts:${DB_PASSWORD}@postgres:5432/keeptrusts', KEEPTRUSTS_JWT_SECRET: '${JWT_SECRET}' });
    expect(r.env).toContain('DB_PASSWORD=pa$$word+/=\n');
    expect(r.env).toContain(`ENCRYPTION_KEY=${'b'.repeat(64)}`);
  });

  it('has images from the internal registry, depends_on service_healthy, healthchecks, volumes, network and GPUs', () => {
    const api = doc.services['keeptrusts-api']!;
    expect(api.image).toBe('registry.internal:5000/kt/api:2.5.0');
    expect(api.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(api.healthcheck).toMatchObject({ test: ['CMD-SHELL', '(wget -q -O- http://127.0.0.1:8080/health || curl -fsS http://127.0.0.1:8080/health) >/dev/null'] });
    expect(doc.services.postgres!.healthcheck).toMatchObject({ test: ['CMD-SHELL', 'pg_isready -U keeptrusts'], interval: '10s', retries: 5 });
    expect(doc.services.postgres!.volumes).toEqual(['pgdata:/var/lib/postgresql/data']);
    expect(doc.volumes).toEqual({ pgdata: { name: 'ferry-keeptrusts-airgapped-pgdata' } });
    expect(doc.services['keeptrusts-gateway']!.volumes).toEqual(['/data/installs/i-1/files/policy-config/policy-config.yaml:/etc/keeptrusts/policy-config.yaml:ro', '/data/installs/i-1/files/knowledge:/etc/keeptrusts/knowledge:ro']);
    expect(doc.services['local-llm']!.command).toEqual(['--model', '/model', '--served-model-name', 'llama3.1']);
    expect(doc.services['local-llm']!.deploy).toBeDefined();
    expect(doc.services.ollama).toBeUndefined();
    expect(doc.networks).toEqual({ default: { name: 'ferry-keeptrusts-airgapped' } });
  });

  it('refuses a multi-line secret, naming it', () => {
    expect(() => renderCompose({ record: { id: 'i-1', plan: { ...plan, steps: [] }, request }, dataDir: '/data', secretValues: { ...secretValues, jwt_secret: '-----BEGIN\nx\n-----END' } })).toThrow(/jwt_secret .*several lines/);
  });
});

describe('execForm', () => {
  it('runs Compose-style health commands as docker exec does', () => {
    expect(execForm(['CMD-SHELL', 'pg_isready -U keeptrusts'])).toEqual(['/bin/sh', '-c', 'pg_isready -U keeptrusts']);
    expect(execForm(['CMD', 'pg_isready'])).toEqual(['pg_isready']);
    expect(execForm(['/bin/true'])).toEqual(['/bin/true']);
  });
});

describe('yamlProblem', () => {
  it('names line and column of a syntax error, and passes valid YAML', () => {
    expect(yamlProblem('a: 1\nb: [2\nc: 3\n')).toMatch(/^line \d+, column \d+: /);
    expect(yamlProblem('target:\n  url: http://x:8000\n')).toBeUndefined();
  });
});
