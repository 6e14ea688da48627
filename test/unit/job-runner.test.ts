import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src/shared/api';
import { FerryError } from '../../src/shared/errors';
import { openDatabase, type Db } from '../../src/main/db/database';
import { JobRunner } from '../../src/main/jobs/job-runner';
import { tempDir } from '../harness/temp';

let db: Db | undefined;
let cleanup: (() => void) | undefined;
function runner(): { jobs: JobRunner; file: string } {
  const t = tempDir();
  cleanup = t.cleanup;
  const file = join(t.path, 'ferry.db');
  db = openDatabase(file);
  return { jobs: new JobRunner(db), file };
}
afterEach(() => {
  db?.close();
  cleanup?.();
});

describe('JobRunner', () => {
  it('reports per-item and total progress and persists the result', async () => {
    const { jobs } = runner();
    const updates: JobInfo[] = [];
    jobs.on('update', (j) => updates.push(j));
    const started = jobs.start('bundle.verify', 't', {}, async (ctx) => {
      ctx.item('a', 'A', 100);
      ctx.item('b', 'B', 50);
      ctx.advance(60, 'a');
      ctx.itemState('b', 'skipped');
      ctx.advance(40, 'a');
      ctx.itemState('a', 'done');
      return { answer: 42 };
    });
    const done = await jobs.wait(started.id);
    expect(done.state).toBe('succeeded');
    expect(done.bytesDone).toBe(150);
    expect(done.bytesTotal).toBe(150);
    expect(done.items.map((i) => [i.id, i.state, i.bytesDone])).toEqual([
      ['a', 'done', 100],
      ['b', 'skipped', 50],
    ]);
    expect(updates.at(-1)?.state).toBe('succeeded');
    expect(jobs.get(started.id)).toMatchObject({ state: 'succeeded', result: { answer: 42 }, bytesDone: 150 });
  });

  it('a change made within the update interval still reaches listeners while the job waits (no lost last update)', async () => {
    const { jobs } = runner();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const started = jobs.start('bundle.create', 't', {}, async (ctx) => {
      ctx.phase('acquiring'); // sent at once
      ctx.item('m', 'model', 100); // within the interval: throttled
      ctx.advance(10, 'm');
      await held; // the transfer stalls: nothing else happens
    });
    const seen = await new Promise<JobInfo>((resolve) => {
      const on = (j: JobInfo): void => {
        if (j.id === started.id && j.items.some((i) => i.id === 'm' && i.bytesDone === 10)) {
          jobs.off('update', on);
          resolve(j);
        }
      };
      jobs.on('update', on);
    });
    expect(seen).toMatchObject({ state: 'running', bytesTotal: 100, bytesDone: 10 });
    expect(seen.items).toEqual([expect.objectContaining({ id: 'm', state: 'running', bytesDone: 10 })]);
    release();
    expect((await jobs.wait(started.id)).state).toBe('succeeded');
  });

  it('cancels through the AbortSignal and records the canceled state', async () => {
    const { jobs } = runner();
    let reached!: () => void;
    const waiting = new Promise<void>((r) => (reached = r));
    const started = jobs.start('bundle.create', 't', {}, (ctx) => {
      reached();
      return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    });
    await waiting;
    jobs.cancel(started.id);
    const done = await jobs.wait(started.id);
    expect(done.state).toBe('canceled');
    expect(jobs.get(started.id).state).toBe('canceled');
  });

  it('ends items under way as canceled on cancel, leaving done and pending ones as they were', async () => {
    const { jobs } = runner();
    let reached!: () => void;
    const waiting = new Promise<void>((r) => (reached = r));
    const started = jobs.start('bundle.create', 't', {}, (ctx) => {
      ctx.item('a', 'A', 10);
      ctx.item('b', 'B', 10);
      ctx.item('c', 'C', 10);
      ctx.itemState('a', 'done');
      ctx.advance(3, 'b');
      reached();
      return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    });
    await waiting;
    expect(jobs.get(started.id).items.map((i) => i.state)).toEqual(['done', 'running', 'pending']);
    const updates: JobInfo[] = [];
    jobs.on('update', (j) => updates.push(j));
    jobs.cancel(started.id);
    const done = await jobs.wait(started.id);
    expect(done.items.map((i) => i.state)).toEqual(['done', 'canceled', 'pending']);
    expect(updates.at(-1)!.items.some((i) => i.state === 'running')).toBe(false);
  });

  it('ends items under way as failed when the job fails', async () => {
    const { jobs } = runner();
    const started = jobs.start('bundle.import', 't', {}, async (ctx) => {
      ctx.item('a', 'A', 10);
      ctx.advance(5, 'a');
      throw new FerryError('disk full');
    });
    expect((await jobs.wait(started.id)).items.map((i) => i.state)).toEqual(['failed']);
  });

  it('gives back the request a job was started with, and its state', async () => {
    const { jobs } = runner();
    const started = jobs.start('bundle.verify', 't', { dir: '/b', by: 'olga' }, async () => 1);
    await jobs.wait(started.id);
    expect(jobs.request(started.id)).toEqual({ kind: 'bundle.verify', state: 'succeeded', params: { dir: '/b', by: 'olga' } });
    expect(() => jobs.request('nope')).toThrow(/No job with id nope/);
  });

  it('keeps the error name, message and hint of a failed job', async () => {
    const { jobs } = runner();
    const started = jobs.start('bundle.import', 't', {}, async () => {
      throw new FerryError('registry said no', 'check credentials', 'AuthError');
    });
    expect((await jobs.wait(started.id)).error).toEqual({ name: 'AuthError', message: 'registry said no', hint: 'check credentials' });
  });

  it('marks jobs left running by a dead process as interrupted', () => {
    const { jobs, file } = runner();
    jobs.start('bundle.create', 't', {}, () => new Promise(() => undefined));
    db!.close();
    db = openDatabase(file);
    const again = new JobRunner(db);
    expect(again.list()[0]).toMatchObject({ state: 'failed', error: { name: 'Interrupted' } });
  });
});
