import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandlers, dispatch, type Handlers } from '../../src/main/api/handlers';
import type { CallContext } from '../../src/main/api/call-context';
import { createServices, type Services } from '../../src/main/core/services';
import type { JobInfo } from '../../src/shared/api';
import type { RecentBundle } from '../../src/shared/channels/operator';
import { tempDir } from '../harness/temp';

// job:rerun and bundle:recent through the API handlers, as the app calls them.
let t: ReturnType<typeof tempDir>;
let s: Services;
let h: Handlers;
const cli: CallContext = { unsigned: true };
const call = (channel: string, arg: unknown, ctx: CallContext = cli) => dispatch(h, channel, arg, ctx);

beforeEach(() => {
  t = tempDir();
  s = createServices({ dataDir: join(t.path, 'data'), identity: { actor: 'os-user', station: 'transfer-1' } });
  h = createHandlers(s);
});
afterEach(async () => {
  await s.close();
  t.cleanup();
});

const fails = async () => {
  throw new Error('stopped');
};

describe('job:rerun', () => {
  it('starts the same request again as a new job of the same kind', async () => {
    const dir = join(t.path, 'not-a-bundle');
    mkdirSync(dir);
    // As handlers.ts stores it: the request plus who started it; this one failed.
    const first = s.jobs.start('bundle.verify', `Verify ${dir}`, { dir, by: 'olga' }, fails);
    expect((await s.jobs.wait(first.id)).state).toBe('failed');
    const again = (await call('job:rerun', { id: first.id })) as JobInfo;
    expect(again.id).not.toBe(first.id);
    expect(again).toMatchObject({ kind: 'bundle.verify', title: first.title });
    expect(s.jobs.request(again.id).params).toEqual({ dir });
    // The real verify ran on the folder: not a bundle, so its verdict is a failure.
    expect((await s.jobs.wait(again.id)).result).toMatchObject({ ok: false });
  });

  it('refuses a running job, a succeeded one, a kind it cannot rerun and a request from elsewhere', async () => {
    const running = s.jobs.start('bundle.verify', 'r', { dir: '/x' }, (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))));
    await expect(call('job:rerun', { id: running.id })).rejects.toThrow(/still running/);
    s.jobs.cancel(running.id);
    await s.jobs.wait(running.id);

    const ok = s.jobs.start('bundle.verify', 'ok', { dir: '/x' }, async () => 1);
    await s.jobs.wait(ok.id);
    await expect(call('job:rerun', { id: ok.id })).rejects.toThrow(/already succeeded/);

    const install = s.jobs.start('install.run', 'i', { installId: 'abc' }, fails);
    await s.jobs.wait(install.id);
    await expect(call('job:rerun', { id: install.id })).rejects.toThrow(/install\.run job cannot be run again/);

    const fromCli = s.jobs.start('media.write', 'w', { bundle: '/b', to: ['/m'] }, fails);
    await s.jobs.wait(fromCli.id);
    await expect(call('job:rerun', { id: fromCli.id })).rejects.toThrow(/stored request does not fit media:write/);

    await expect(call('job:rerun', { id: 'missing' })).rejects.toThrow(/No job with id missing/);
  });

  it('needs a signed-in caller in the app', async () => {
    const job = s.jobs.start('bundle.verify', 'v', { dir: '/x' }, fails);
    await s.jobs.wait(job.id);
    await expect(call('job:rerun', { id: job.id }, {})).rejects.toThrow(/Sign in first/);
  });
});

describe('bundle:recent', () => {
  it('lists created bundles whose folder is still there, newest first, one per folder', async () => {
    const a = join(t.path, 'a');
    const b = join(t.path, 'b');
    mkdirSync(a);
    mkdirSync(b);
    const created = (bundleId: string, dir: string) => s.custody.append({ type: 'created', role: 'operator', bundleId, details: { dir, bytes: 2048 } });
    created('11111111-1111-4111-8111-111111111111', a);
    created('22222222-2222-4222-8222-222222222222', join(t.path, 'gone'));
    created('33333333-3333-4333-8333-333333333333', b);
    created('44444444-4444-4444-8444-444444444444', a);
    const recent = (await call('bundle:recent', {})) as RecentBundle[];
    expect(recent.map((r) => [r.bundleId.slice(0, 1), r.dir])).toEqual([
      ['4', a],
      ['3', b],
    ]);
    expect(recent[0]).toMatchObject({ state: 'pending', title: 'by os-user, 2.00 KiB' });
    expect(await call('bundle:recent', { limit: 1 })).toHaveLength(1);
  });
});
