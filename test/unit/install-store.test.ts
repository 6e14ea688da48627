import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InstallRequest } from '../../src/shared/api-install';
import { FerryError } from '../../src/shared/errors';
import { openDatabase, type Db } from '../../src/main/db/database';
import { InstallStore, storableRequest } from '../../src/main/install/install-store';
import type { PlannedStep, StoredPlan } from '../../src/main/install/install-types';
import { RecipeSchema } from '../../src/main/recipes/recipe-schema';
import { tempDir } from '../harness/temp';

// The install records on a real station database (temp file, every migration applied).

const PASSWORD = 'reg-pw-7c1d-do-not-store';
const cleanups: (() => void)[] = [];
const dbs: Db[] = [];

function fresh(): { db: Db; store: InstallStore; file: string } {
  const t = tempDir('ferry-install-store-');
  cleanups.push(t.cleanup);
  const file = join(t.path, 'ferry.db');
  const db = openDatabase(file);
  dbs.push(db);
  return { db, store: new InstallStore(db), file };
}

afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const c of cleanups.splice(0)) c();
});

const recipe = RecipeSchema.parse({
  format: 'ferry.recipe.v1', id: 'demo', title: 'Demo', version: '1.0.0',
  artifacts: { images: [{ id: 'web', source: 'docker.io/library/nginx', tag: '1.27' }] },
  install: { containers: [{ name: 'web', image: 'web', ports: ['8080:80'] }] },
});
const step = (id: string, kind: PlannedStep['kind']): PlannedStep => ({ id, kind, title: id, description: `does ${id}`, command: `echo ${id}`, undoable: kind === 'container' });
const plan = (steps: PlannedStep[]): StoredPlan => ({
  bundleId: 'b-1', recipe, recipeSha256: 'f'.repeat(64), bundleDir: '/bundle', params: { x: 'y', flag: true }, setByAdmin: [], parameters: [],
  images: [{ id: 'web', name: 'nginx:1.27', source: 'docker.io/library/nginx', registry: 'docker.io', repository: 'library/nginx', target: 'nginx', tag: '1.27', digest: `sha256:${'a'.repeat(64)}` }],
  models: [], engine: 'docker', steps,
});
const STEPS = [step('verify', 'verify'), step('push', 'push'), step('container:web', 'container'), step('egress', 'egress')];
const request: InstallRequest = { dir: '/bundle', registry: 'registry.internal:5000/demo', username: 'ferry', password: PASSWORD, modelsDir: '/data/models', egress: { outside: ['192.0.2.9:443'] }, params: { gitlab_domain: 'g.test' } };

describe('storableRequest', () => {
  it('drops the password and keeps everything else', () => {
    const s = storableRequest(request);
    expect(s).not.toHaveProperty('password');
    expect(s).toEqual({ dir: '/bundle', registry: 'registry.internal:5000/demo', username: 'ferry', modelsDir: '/data/models', egress: { outside: ['192.0.2.9:443'] }, params: { gitlab_domain: 'g.test' } });
    expect(request.password).toBe(PASSWORD); // the caller's object is not changed
  });
});

describe('InstallStore', () => {
  it('round-trips an install: create, get, list, steps pending in plan order', () => {
    const { store } = fresh();
    const created = store.create({ id: 'i-1', bundleId: 'b-1', recipeId: 'demo', request: storableRequest(request), plan: plan(STEPS) });
    expect(created.createdAt).toBe(created.updatedAt);
    const got = store.get('i-1');
    expect(got).toEqual(created);
    expect(got.plan.params).toEqual({ x: 'y', flag: true });
    expect(got.plan.recipe.install!.containers![0]!.name).toBe('web');
    expect([...store.steps('i-1').values()].map((s) => [s.stepId, s.position, s.state, s.log])).toEqual([
      ['verify', 0, 'pending', []], ['push', 1, 'pending', []], ['container:web', 2, 'pending', []], ['egress', 3, 'pending', []],
    ]);
    store.create({ id: 'i-2', bundleId: 'b-2', recipeId: 'demo', request: storableRequest(request), plan: plan(STEPS.slice(0, 1)) });
    expect(store.list().map((r) => r.id).sort()).toEqual(['i-1', 'i-2']);
    expect(store.steps('i-2').size).toBe(1);
  });

  it('never writes the registry password, even when handed a request that still has it', () => {
    const { db, store, file } = fresh();
    store.create({ id: 'i-1', bundleId: 'b-1', recipeId: 'demo', request: request as unknown as ReturnType<typeof storableRequest>, plan: plan(STEPS) });
    expect(store.get('i-1').request).not.toHaveProperty('password');
    const row = db.prepare('SELECT request, plan FROM installs WHERE id = ?').get('i-1') as { request: string; plan: string };
    expect(row.request).not.toContain(PASSWORD);
    expect(JSON.parse(row.request)).toMatchObject({ username: 'ferry', registry: 'registry.internal:5000/demo' });
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(file).includes(PASSWORD)).toBe(false);
  });

  it('setStep patches one step (result, error, times, log tail of 200) and keeps the rest', () => {
    const { store } = fresh();
    const before = store.create({ id: 'i-1', bundleId: 'b-1', recipeId: 'demo', request: storableRequest(request), plan: plan(STEPS) });
    store.setStep('i-1', 'push', { state: 'running', startedAt: '2025-01-01T00:00:00+00:00', log: ['a'] });
    store.setStep('i-1', 'push', { state: 'done', finishedAt: '2025-01-01T00:01:00+00:00', result: { pushed: 1, digests: ['sha256:x'] } });
    const lines = Array.from({ length: 250 }, (_, i) => `line ${i}`);
    store.setStep('i-1', 'container:web', { state: 'failed', error: { message: 'port busy', hint: 'free 8080' }, log: lines });
    const s = store.steps('i-1');
    expect(s.get('push')).toEqual({ stepId: 'push', position: 1, state: 'done', startedAt: '2025-01-01T00:00:00+00:00', finishedAt: '2025-01-01T00:01:00+00:00', result: { pushed: 1, digests: ['sha256:x'] }, log: ['a'] });
    const web = s.get('container:web')!;
    expect(web).toMatchObject({ state: 'failed', error: { message: 'port busy', hint: 'free 8080' } });
    expect(web.log).toHaveLength(200);
    expect(web.log[0]).toBe('line 50');
    expect(web.log[199]).toBe('line 249');
    expect(s.get('verify')).toEqual({ stepId: 'verify', position: 0, state: 'pending', log: [] });
    expect(store.get('i-1').updatedAt >= before.updatedAt).toBe(true);
    expect(() => store.setStep('i-1', 'nope', { state: 'done' })).toThrow(/Install i-1 has no step "nope"/);
  });

  it('savePlan keeps states of kept steps, reorders, adds new ones pending and drops removed ones', () => {
    const { store } = fresh();
    store.create({ id: 'i-1', bundleId: 'b-1', recipeId: 'demo', request: storableRequest(request), plan: plan(STEPS) });
    store.setStep('i-1', 'verify', { state: 'done' });
    store.setStep('i-1', 'push', { state: 'done' });
    store.savePlan('i-1', plan([step('verify', 'verify'), step('push', 'push'), step('preflight', 'preflight'), step('container:web', 'container')]));
    expect([...store.steps('i-1').values()].map((s) => [s.stepId, s.position, s.state])).toEqual([
      ['verify', 0, 'done'], ['push', 1, 'done'], ['preflight', 2, 'pending'], ['container:web', 3, 'pending'],
    ]);
    expect(store.get('i-1').plan.steps.map((s) => s.id)).toContain('preflight');
  });

  it('names an unknown install as NotFound', () => {
    const { store } = fresh();
    let err: unknown;
    try { store.get('missing'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).message).toBe('No install missing on this station.');
    expect((err as FerryError).name).toBe('NotFound');
    expect(store.list()).toEqual([]);
  });
});
