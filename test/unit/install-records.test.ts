import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandlers, dispatch, type Handlers } from '../../src/main/api/handlers';
import type { CallContext } from '../../src/main/api/call-context';
import { createServices, type Services } from '../../src/main/core/services';
import { InstallStore } from '../../src/main/install/install-store';
import type { PlannedStep, StoredPlan } from '../../src/main/install/install-types';
import { installDir, secretsDir } from '../../src/main/install/plan/install-refs';
import { RecipeSchema } from '../../src/main/recipes/recipe-schema';
import type { InstallView } from '../../src/shared/api-install';
import { FerryError, UsageError } from '../../src/shared/errors';
import { tempDir } from '../harness/temp';

// Install records through the API as the app and CLI call them: status in install:list, removing
// a record that never ran (with what Ferry generated for it, never host files), refusing one that ran.

let t: ReturnType<typeof tempDir>;
let s: Services;
let h: Handlers;
let store: InstallStore;
const cli: CallContext = { unsigned: true };
const call = <T>(channel: string, arg: unknown): Promise<T> => dispatch(h, channel, arg, cli) as Promise<T>;

const recipe = RecipeSchema.parse({
  format: 'ferry.recipe.v1', id: 'demo', title: 'Demo', version: '1.0.0',
  artifacts: { images: [{ id: 'web', source: 'docker.io/library/nginx', tag: '1.27' }] },
  install: { containers: [{ name: 'db', image: 'web' }, { name: 'web', image: 'web', dependsOn: ['db'], health: { http: 'http://127.0.0.1:8080/' }, ports: ['8080:80'] }] },
});
const step = (id: string, kind: PlannedStep['kind']): PlannedStep => ({ id, kind, title: id, description: `does ${id}`, command: `echo ${id}`, undoable: kind === 'container' });
const STEPS = [step('verify', 'verify'), step('push', 'push'), step('container:db', 'container'), step('container:web', 'container'), step('health', 'health'), step('egress', 'egress'), step('outputs', 'outputs')];
const plan: StoredPlan = { bundleId: 'b-1', recipe, recipeSha256: 'f'.repeat(64), bundleDir: '/bundle', params: {}, setByAdmin: [], parameters: [], images: [], models: [], engine: 'docker', steps: STEPS };

function record(id: string, hostDir: string): void {
  store.create({ id, bundleId: 'b-1', recipeId: 'demo', request: { dir: hostDir, modelsDir: join(hostDir, 'models'), egress: { outside: ['192.0.2.9:443'] } }, plan });
}

beforeEach(() => {
  t = tempDir();
  s = createServices({ dataDir: join(t.path, 'data'), identity: { actor: 'os-user', station: 'offline-1' } });
  h = createHandlers(s);
  store = new InstallStore(s.db);
});
afterEach(async () => {
  await s.close();
  t.cleanup();
});

describe('install:list status', () => {
  it('says planned for an install no step ran, partial / failed / installed as steps run', async () => {
    record('i-1', t.path);
    const status = async (): Promise<[string, boolean]> => {
      const v = (await call<InstallView[]>('install:list', {}))[0]!;
      return [v.status, v.removable];
    };
    expect(await status()).toEqual(['planned', true]);
    store.setStep('i-1', 'verify', { state: 'done' });
    expect(await status()).toEqual(['partial', false]);
    store.setStep('i-1', 'push', { state: 'failed' });
    expect(await status()).toEqual(['failed', false]);
    for (const st of STEPS) store.setStep('i-1', st.id, { state: st.id === 'outputs' ? 'skipped' : 'done' });
    expect(await status()).toEqual(['installed', false]);
  });
});

describe('install:remove', () => {
  it('removes a planned install, its secrets folder and nothing of the host, and records it', async () => {
    const host = join(t.path, 'host');
    mkdirSync(join(host, 'models'), { recursive: true });
    writeFileSync(join(host, 'manifest.json'), '{}');
    record('i-1', host);
    record('i-2', host);
    mkdirSync(secretsDir(s.dataDir, 'i-1'), { recursive: true });
    writeFileSync(join(secretsDir(s.dataDir, 'i-1'), 'db.key'), 'generated');
    symlinkSync(host, join(installDir(s.dataDir, 'i-1'), 'bundle')); // a link out of the folder is removed, not followed

    await expect(call('install:remove', { installId: 'i-1' })).resolves.toEqual({ installId: 'i-1', removed: true });
    expect(existsSync(installDir(s.dataDir, 'i-1'))).toBe(false);
    expect(existsSync(join(host, 'manifest.json'))).toBe(true);
    expect(existsSync(join(host, 'models'))).toBe(true);
    expect((await call<InstallView[]>('install:list', {})).map((v) => v.installId)).toEqual(['i-2']);
    await expect(call('install:get', { installId: 'i-1' })).rejects.toThrow('No install i-1 on this station.');
    const ev = s.custody.list({ bundleId: 'b-1' }).find((e) => e.type === 'install.removed');
    expect(ev?.details).toEqual({ installId: 'i-1', recipe: 'demo', folder: installDir(s.dataDir, 'i-1') });
  });

  it('removes one whose every step that ran was undone', async () => {
    record('i-1', t.path);
    store.setStep('i-1', 'container:db', { state: 'undone' });
    await expect(call('install:remove', { installId: 'i-1' })).resolves.toMatchObject({ removed: true });
  });

  it('refuses once a step has run and is not undone, naming the install and the steps', async () => {
    record('i-1', t.path);
    store.setStep('i-1', 'verify', { state: 'done' });
    store.setStep('i-1', 'push', { state: 'failed' });
    const err = await call('install:remove', { installId: 'i-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe('Install i-1 (Demo 1.0.0) cannot be removed: "verify" is done, "push" is failed.');
    expect((err as UsageError).hint).toMatch(/never ran/);
    expect(store.get('i-1').id).toBe('i-1');
  });

  it('names the containers to undo when only containers stand in the way', async () => {
    record('i-1', t.path);
    store.setStep('i-1', 'container:db', { state: 'done' });
    const err = (await call('install:remove', { installId: 'i-1' }).catch((e: unknown) => e)) as UsageError;
    expect(err.message).toBe('Install i-1 (Demo 1.0.0) cannot be removed: "container:db" is done.');
    expect(err.hint).toBe('Undo container:db first (ferry install --resume i-1 --undo STEP), then remove it.');
  });

  it('refuses an unknown install and one whose folder is not a folder Ferry made', async () => {
    await expect(call('install:remove', { installId: 'nope' })).rejects.toThrow('No install nope on this station.');
    record('i-1', t.path);
    mkdirSync(join(s.dataDir, 'installs'), { recursive: true });
    symlinkSync(t.path, installDir(s.dataDir, 'i-1'));
    const err = await call('install:remove', { installId: 'i-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).message).toMatch(/is not a folder Ferry made for the install .*nothing was removed/);
    expect(store.get('i-1').id).toBe('i-1');
  });

  it('needs a signed-in operator or admin in the app', async () => {
    record('i-1', t.path);
    await expect(dispatch(h, 'install:remove', { installId: 'i-1' }, {})).rejects.toThrow(/^Sign in first/);
  });
});

describe('runAgain after an undo', () => {
  it('puts the steps that ran back to pending with the reason in their log; pending ones stay as they are', () => {
    record('i-1', t.path);
    for (const id of ['verify', 'push', 'container:db', 'container:web', 'health']) store.setStep('i-1', id, { state: 'done', result: { ok: true }, log: [`ran ${id}`] });
    store.setStep('i-1', 'container:db', { state: 'undone' });
    expect(store.runAgain('i-1', ['container:web', 'health', 'egress'], 'To run again: container:db was undone.')).toEqual(['container:web', 'health']);
    const steps = store.steps('i-1');
    expect(steps.get('container:web')).toMatchObject({ state: 'pending', log: ['ran container:web', 'To run again: container:db was undone.'] });
    expect(steps.get('container:web')).not.toHaveProperty('result');
    expect(steps.get('health')!.state).toBe('pending');
    expect(steps.get('egress')!.state).toBe('pending');
    expect(steps.get('push')!.state).toBe('done');
  });
});
