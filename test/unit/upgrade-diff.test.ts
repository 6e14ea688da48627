import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { StoredRequest } from '../../src/main/install/install-store';
import type { PlanImage, PlanModel, StoredPlan } from '../../src/main/install/install-types';
import { bindParams } from '../../src/main/recipes/params';
import { RecipeSchema, type Recipe } from '../../src/main/recipes/recipe-schema';
import { diffText, diffUpgrade, type DiffSide } from '../../src/main/upgrade/upgrade-diff';
import { tempDir } from '../harness/temp';

// What `ferry upgrade` shows: the Keeptrusts recipe as shipped, installed from one bundle and
// upgraded to another (new tags, digests, env, model revision, runtime). Secret files exist on
// disk with known values so a diff that ever read them would show it.

const tmp = tempDir('ferry-upgrade-diff-');
afterAll(() => tmp.cleanup());
const DATA = tmp.path;
const SECRET_VALUES = { db_password: 'pw-3b9e-NEVER-SHOWN', jwt_secret: 'jwt-71aa-NEVER-SHOWN', encryption_key: 'enc-0c42-NEVER-SHOWN', audit_key: 'audit-5d5d-NEVER-SHOWN' };
mkdirSync(join(DATA, 'installs', 'i-1', 'secrets'), { recursive: true });
for (const [k, v] of Object.entries(SECRET_VALUES)) writeFileSync(join(DATA, 'installs', 'i-1', 'secrets', `${k}.key`), v);
const SECRET_FILE = (n: string): string => `$(cat '${join(DATA, 'installs', 'i-1', 'secrets', `${n}.key`)}')`;

const base = RecipeSchema.parse(parse(readFileSync(join(__dirname, '../../resources/recipes/keeptrusts-airgapped.yaml'), 'utf8')));
const dg = (c: string): string => `sha256:${c.repeat(64)}`;
const img = (id: string, target: string, tag: string, digest: string): PlanImage => ({ id, name: `${target}:${tag}`, source: `docker.io/keeptrusts/${target}`, registry: 'docker.io', repository: `keeptrusts/${target}`, target, tag, digest });
const model = (revision: string, size: number): PlanModel => ({ id: 'model', repo: 'meta-llama/Llama-3.1-8B-Instruct', revision, size, dir: 'models/meta-llama--Llama-3.1-8B-Instruct' });
const request: StoredRequest = { dir: '/bundle', registry: 'registry.internal:5000/kt', modelsDir: '/data/models', egress: { outside: ['192.0.2.9:443'] } };

interface SideOpts { recipe?: Recipe; bundleId?: string; set?: Record<string, string>; images?: PlanImage[]; models?: PlanModel[] }
function side(o: SideOpts = {}): DiffSide {
  const recipe = o.recipe ?? base;
  const params = bindParams(recipe, { policy_config: '/in/policy-config.yaml', knowledge_dir: '/in/knowledge', ...o.set });
  const v = String(params.keeptrusts_version);
  const images = o.images ?? [img('api', 'api', v, dg('1')), img('gateway', 'gateway', v, dg('2')), img('postgres', 'postgres', '16-alpine', dg('5')), img('vllm', 'vllm-openai', 'latest', dg('6'))];
  const plan: Omit<StoredPlan, 'steps'> = {
    bundleId: o.bundleId ?? 'b-old', recipe, recipeSha256: 'f'.repeat(64), bundleDir: '/bundle', params, setByAdmin: [], parameters: [],
    images, models: o.models ?? [model('a'.repeat(40), 1000)],
    files: [{ id: 'policy-config', dir: 'files/policy-config', files: [] }, { id: 'knowledge', dir: 'files/knowledge', files: [] }], engine: 'docker',
  };
  return { plan, request };
}
const diff = (o: DiffSide, n: DiffSide): ReturnType<typeof diffUpgrade> => diffUpgrade({ old: o, new: n, dataDir: DATA, installId: 'i-1' });
const container = (d: ReturnType<typeof diffUpgrade>, name: string) => d.containers.find((c) => c.name === name)!;

describe('diffUpgrade', () => {
  it('finds nothing to change between identical installs', () => {
    const d = diff(side(), side());
    expect(d.images.every((i) => i.change === 'unchanged')).toBe(true);
    expect(d.params).toEqual([]);
    expect(d.containers.map((c) => [c.name, c.change, c.fields.length])).toEqual([
      ['postgres', 'unchanged', 0], ['keeptrusts-api', 'unchanged', 0], ['keeptrusts-gateway', 'unchanged', 0], ['keeptrusts-console', 'unchanged', 0], ['keeptrusts-admin', 'unchanged', 0], ['local-llm', 'unchanged', 0],
    ]);
    expect(d.models).toEqual([{ id: 'model', change: 'unchanged', old: { repo: 'meta-llama/Llama-3.1-8B-Instruct', revision: 'a'.repeat(40), size: 1000 }, new: { repo: 'meta-llama/Llama-3.1-8B-Instruct', revision: 'a'.repeat(40), size: 1000 } }]);
    expect(d.secretsAdded).toEqual([]);
  });

  it('shows a digest change under the same tag on the image and on the container that runs it', () => {
    const n = side({ bundleId: 'b-new' });
    n.plan.images = n.plan.images.map((i) => (i.id === 'postgres' ? { ...i, digest: dg('9') } : i));
    const d = diff(side(), n);
    expect(d.images.find((i) => i.id === 'postgres')).toEqual({ id: 'postgres', target: 'postgres', change: 'changed', old: { ref: 'registry.internal:5000/kt/postgres:16-alpine', digest: dg('5') }, new: { ref: 'registry.internal:5000/kt/postgres:16-alpine', digest: dg('9') } });
    expect(d.images.filter((i) => i.change !== 'unchanged').map((i) => i.id)).toEqual(['postgres']);
    expect(container(d, 'postgres')).toEqual({ name: 'postgres', change: 'changed', fields: [{ field: 'image', old: `registry.internal:5000/kt/postgres:16-alpine (${dg('5')})`, new: `registry.internal:5000/kt/postgres:16-alpine (${dg('9')})` }] });
    expect(container(d, 'keeptrusts-api').change).toBe('unchanged');
    expect(diffText(d)).toContain(`  ~ postgres  registry.internal:5000/kt/postgres:16-alpine ${dg('5')} → registry.internal:5000/kt/postgres:16-alpine ${dg('9')}`);
  });

  it('shows a parameter change and the image tags and containers it moves', () => {
    const d = diff(side(), side({ bundleId: 'b-new', set: { keeptrusts_version: '2.6.0' }, images: [img('api', 'api', '2.6.0', dg('a')), img('gateway', 'gateway', '2.6.0', dg('b')), img('postgres', 'postgres', '16-alpine', dg('5')), img('vllm', 'vllm-openai', 'latest', dg('6'))] }));
    expect(d.params).toEqual([{ name: 'keeptrusts_version', old: '2.5.0', new: '2.6.0' }]);
    expect(d.images.find((i) => i.id === 'api')).toMatchObject({ change: 'changed', old: { ref: 'registry.internal:5000/kt/api:2.5.0' }, new: { ref: 'registry.internal:5000/kt/api:2.6.0', digest: dg('a') } });
    expect(container(d, 'keeptrusts-api').fields).toEqual([{ field: 'image', old: 'registry.internal:5000/kt/api:2.5.0', new: 'registry.internal:5000/kt/api:2.6.0' }]);
    expect(diffText(d)).toEqual(expect.arrayContaining(['Parameters:', '  keeptrusts_version: 2.5.0 → 2.6.0', '  ~ keeptrusts-api', '      image: registry.internal:5000/kt/api:2.5.0 → registry.internal:5000/kt/api:2.6.0']));
  });

  it('shows env, port and command changes; secrets as $(cat FILE), never their values', () => {
    const next = structuredClone(base);
    next.version = '1.1.0';
    next.install!.secrets!.push({ name: 'audit_key', kind: 'hex-32' });
    const cs = next.install!.containers!;
    const api = cs.find((c) => c.name === 'keeptrusts-api')!;
    api.env!.DATABASE_URL = 'postgres://keeptrusts:${secret.db_password}@postgres:5432/keeptrusts?sslmode=disable';
    api.env!.KEEPTRUSTS_AUDIT_KEY = '${secret.audit_key}';
    delete api.env!.KEEPTRUSTS_SECRET_ENCRYPTION_KEY;
    cs.find((c) => c.name === 'keeptrusts-gateway')!.ports = ['41003:41002'];
    cs.find((c) => c.name === 'local-llm')!.command = ['--model', '/model', '--served-model-name', '${served_model_name}', '--max-model-len', '8192'];
    const d = diff(side(), side({ recipe: next, bundleId: 'b-new' }));
    expect(d.recipe).toEqual({ id: 'keeptrusts-airgapped', title: 'Keeptrusts air-gapped stack', oldVersion: '1.0.0', newVersion: '1.1.0' });
    expect(d.secretsAdded).toEqual(['audit_key']);
    expect(container(d, 'keeptrusts-api').fields).toEqual([
      { field: 'env.DATABASE_URL', old: `postgres://keeptrusts:${SECRET_FILE('db_password')}@postgres:5432/keeptrusts`, new: `postgres://keeptrusts:${SECRET_FILE('db_password')}@postgres:5432/keeptrusts?sslmode=disable` },
      { field: 'env.KEEPTRUSTS_SECRET_ENCRYPTION_KEY', old: SECRET_FILE('encryption_key') },
      { field: 'env.KEEPTRUSTS_AUDIT_KEY', new: SECRET_FILE('audit_key') },
    ]);
    expect(container(d, 'keeptrusts-gateway').fields).toEqual([{ field: 'ports', old: '41002:41002', new: '41003:41002' }]);
    expect(container(d, 'local-llm').fields).toEqual([{ field: 'command', old: '--model /model --served-model-name llama3.1', new: '--model /model --served-model-name llama3.1 --max-model-len 8192' }]);
    const text = diffText(d).join('\n');
    expect(text).toContain('      env.KEEPTRUSTS_SECRET_ENCRYPTION_KEY: ' + SECRET_FILE('encryption_key') + ' → (none)');
    expect(text).toContain('New secrets generated on this host: audit_key');
    for (const v of Object.values(SECRET_VALUES)) {
      expect(text).not.toContain(v);
      expect(JSON.stringify(d)).not.toContain(v);
    }
  });

  it('runtime vllm → ollama: images, containers and the model added and removed', () => {
    const n = side({ bundleId: 'b-new', set: { runtime: 'ollama' }, models: [] });
    n.plan.images = [...n.plan.images.filter((i) => i.id !== 'vllm'), { ...img('ollama', 'ollama', 'latest', dg('7')), source: 'docker.io/ollama/ollama', repository: 'ollama/ollama' }];
    const d = diff(side(), n);
    expect(d.params).toEqual([{ name: 'runtime', old: 'vllm', new: 'ollama' }]);
    expect(d.images.filter((i) => i.change !== 'unchanged')).toEqual([
      { id: 'ollama', target: 'ollama', change: 'added', new: { ref: 'registry.internal:5000/kt/ollama:latest', digest: dg('7') } },
      { id: 'vllm', target: 'vllm-openai', change: 'removed', old: { ref: 'registry.internal:5000/kt/vllm-openai:latest', digest: dg('6') } },
    ]);
    expect(container(d, 'ollama')).toMatchObject({ change: 'added', fields: expect.arrayContaining([{ field: 'volumes', new: '/data/models/ollama:/root/.ollama/models' }, { field: 'gpu', new: 'all' }]) });
    expect(container(d, 'local-llm')).toEqual({ name: 'local-llm', change: 'removed', fields: [] });
    expect(d.models).toEqual([{ id: 'model', change: 'removed', old: { repo: 'meta-llama/Llama-3.1-8B-Instruct', revision: 'a'.repeat(40), size: 1000 } }]);
    const text = diffText(d);
    expect(text).toEqual(expect.arrayContaining([`  + ollama  registry.internal:5000/kt/ollama:latest  ${dg('7')}`, `  - vllm-openai  registry.internal:5000/kt/vllm-openai:latest  ${dg('6')}`, '  + ollama', '  - local-llm', '  model: meta-llama/Llama-3.1-8B-Instruct@aaaaaaaaaaaa (1000 bytes) → (none)']));
  });

  it('shows a model revision change', () => {
    const d = diff(side(), side({ bundleId: 'b-new', models: [model('b'.repeat(40), 2000)] }));
    expect(d.models).toEqual([{ id: 'model', change: 'changed', old: { repo: 'meta-llama/Llama-3.1-8B-Instruct', revision: 'a'.repeat(40), size: 1000 }, new: { repo: 'meta-llama/Llama-3.1-8B-Instruct', revision: 'b'.repeat(40), size: 2000 } }]);
    const text = diffText(d);
    expect(text[0]).toBe('Keeptrusts air-gapped stack: 1.0.0 → 1.0.0 (bundle b-old → b-new)');
    expect(text).toContain('  model: meta-llama/Llama-3.1-8B-Instruct@aaaaaaaaaaaa (1000 bytes) → meta-llama/Llama-3.1-8B-Instruct@bbbbbbbbbbbb (2000 bytes)');
    expect(container(d, 'local-llm').change).toBe('unchanged'); // same models dir: the container itself is unchanged
  });
});
