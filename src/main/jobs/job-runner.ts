import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { JobInfo, JobItem, JobKind } from '../../shared/api';
import { CanceledError, FerryError, isAbortError, toErrorShape } from '../../shared/errors';
import { isoWithOffset } from '../core/clock';
import type { Db } from '../db/database';
import { RateMeter } from './rate-meter';
import type { Progress } from './progress';

/** A running job's context: its id and how it reports progress (progress.ts). */
export interface JobContext extends Progress {
  readonly id: string;
}

export type JobBody<T> = (ctx: JobContext) => Promise<T>;

interface Running {
  info: JobInfo;
  controller: AbortController;
  meter: RateMeter;
  items: Map<string, JobItem>;
  lastEmit: number;
  /** A throttled update still owed to listeners: sent when the interval is up, so the last change is never lost. */
  trailing?: NodeJS.Timeout;
  done: Promise<JobInfo>;
}

const EMIT_INTERVAL_MS = 200;

/**
 * Runs long work with progress events, cancellation through AbortSignal and a final
 * state persisted in SQLite. Parameters given to `start` are stored, so never pass secrets.
 */
export class JobRunner extends EventEmitter<{ update: [JobInfo] }> {
  private readonly running = new Map<string, Running>();

  constructor(private readonly db: Db) {
    super();
    // Jobs that were running when their process died did not finish; those of another live
    // Ferry process on this data directory are still running.
    const stale = (this.db.prepare(`SELECT id, owner_pid, owner_host FROM jobs WHERE state = 'running'`).all() as { id: string; owner_pid: number | null; owner_host: string | null }[])
      .filter((j) => !(j.owner_host === hostname() && j.owner_pid !== null && j.owner_pid !== process.pid && processAlive(j.owner_pid)));
    const interrupted = this.db.prepare(`UPDATE jobs SET state = 'failed', error = ?, finished_at = ? WHERE id = ? AND state = 'running'`);
    const error = JSON.stringify({ name: 'Interrupted', message: 'Ferry stopped while this job was running.' });
    for (const j of stale) interrupted.run(error, isoWithOffset(), j.id);
  }

  start<T>(kind: JobKind, title: string, params: Record<string, unknown>, body: JobBody<T>): JobInfo {
    const info: JobInfo = {
      id: randomUUID(),
      kind,
      title,
      state: 'running',
      phase: 'starting',
      createdAt: isoWithOffset(),
      bytesDone: 0,
      bytesTotal: 0,
      rate: 0,
      items: [],
    };
    this.db
      .prepare(`INSERT INTO jobs (id, kind, title, state, phase, created_at, params, owner_pid, owner_host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(info.id, kind, title, info.state, info.phase, info.createdAt, JSON.stringify(params), process.pid, hostname());
    const run: Running = {
      info,
      controller: new AbortController(),
      meter: new RateMeter(),
      items: new Map(),
      lastEmit: 0,
      done: Promise.resolve(info),
    };
    this.running.set(info.id, run);
    run.done = this.execute(run, body);
    this.emit('update', this.snapshot(run));
    return this.snapshot(run);
  }

  /** Resolves with the final state once the job has finished. */
  wait(id: string): Promise<JobInfo> {
    const run = this.running.get(id);
    return run ? run.done : Promise.resolve(this.get(id));
  }

  cancel(id: string): JobInfo {
    const run = this.running.get(id);
    if (!run) return this.get(id);
    run.controller.abort(new CanceledError());
    return this.snapshot(run);
  }

  get(id: string): JobInfo {
    const run = this.running.get(id);
    if (run) return this.snapshot(run);
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    if (!row) throw new FerryError(`No job with id ${id}`);
    return rowToInfo(row);
  }

  /** What a finished or running job was started with (its stored parameters), for running it again. */
  request(id: string): { kind: JobKind; state: JobInfo['state']; params: Record<string, unknown> } {
    const running = this.running.get(id);
    const row = this.db.prepare('SELECT kind, state, params FROM jobs WHERE id = ?').get(id) as { kind: JobKind; state: JobInfo['state']; params: string | null } | undefined;
    if (!row) throw new FerryError(`No job with id ${id}`, 'Pick a job from the list of recent jobs.');
    let params: Record<string, unknown> = {};
    try {
      const parsed: unknown = row.params ? JSON.parse(row.params) : {};
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) params = parsed as Record<string, unknown>;
    } catch {
      // an unreadable record: the caller refuses to rerun it by its missing fields
    }
    return { kind: row.kind, state: running ? running.info.state : row.state, params };
  }

  list(limit = 50): JobInfo[] {
    const rows = this.db.prepare('SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?').all(limit) as Record<string, unknown>[];
    return rows.map((r) => {
      const run = this.running.get(r.id as string);
      return run ? this.snapshot(run) : rowToInfo(r);
    });
  }

  private async execute<T>(run: Running, body: JobBody<T>): Promise<JobInfo> {
    const ctx = this.context(run);
    try {
      const result = await body(ctx);
      run.info.state = 'succeeded';
      run.info.phase = 'done';
      run.info.result = result;
    } catch (err) {
      const canceled = run.controller.signal.aborted || isAbortError(err);
      run.info.state = canceled ? 'canceled' : 'failed';
      run.info.error = canceled ? { name: 'CanceledError', message: 'Canceled by the user.' } : toErrorShape(err);
      // Nothing is running any more: what was under way ends as the job did.
      for (const it of run.items.values()) if (it.state === 'running') it.state = canceled ? 'canceled' : 'failed';
    }
    run.info.finishedAt = isoWithOffset();
    const final = this.snapshot(run);
    this.db
      .prepare(
        `UPDATE jobs SET state = ?, phase = ?, finished_at = ?, bytes_done = ?, bytes_total = ?, result = ?, error = ? WHERE id = ?`,
      )
      .run(
        final.state,
        final.phase,
        final.finishedAt,
        final.bytesDone,
        final.bytesTotal,
        final.result === undefined ? null : JSON.stringify(final.result),
        final.error ? JSON.stringify(final.error) : null,
        final.id,
      );
    clearTimeout(run.trailing);
    this.running.delete(run.info.id);
    this.emit('update', final);
    return final;
  }

  private context(run: Running): JobContext {
    const send = (): void => {
      clearTimeout(run.trailing);
      run.trailing = undefined;
      run.lastEmit = Date.now();
      this.emit('update', this.snapshot(run));
    };
    const touch = (force = false): void => {
      const wait = EMIT_INTERVAL_MS - (Date.now() - run.lastEmit);
      if (force || wait <= 0) return send();
      // Throttled: the listeners still get this state once the interval is up (if nothing newer was sent by then).
      run.trailing ??= setTimeout(() => {
        run.trailing = undefined;
        if (this.running.has(run.info.id)) send();
      }, wait);
    };
    return {
      id: run.info.id,
      signal: run.controller.signal,
      phase: (name) => {
        run.info.phase = name;
        touch(true);
      },
      item: (id, label, bytesTotal) => {
        const prev = run.items.get(id);
        run.items.set(id, { id, label, bytesTotal, bytesDone: prev?.bytesDone ?? 0, state: prev?.state ?? 'pending' });
        run.info.bytesTotal = [...run.items.values()].reduce((s, i) => s + i.bytesTotal, 0);
        touch();
      },
      itemState: (id, state) => {
        const it = run.items.get(id);
        if (!it) return;
        it.state = state;
        if (state === 'done' || state === 'skipped') {
          run.info.bytesDone += it.bytesTotal - it.bytesDone;
          it.bytesDone = it.bytesTotal;
          run.meter.record(run.info.bytesDone);
        }
        touch(true);
      },
      advance: (bytes, itemId) => {
        run.info.bytesDone += bytes;
        if (itemId) {
          const it = run.items.get(itemId);
          if (it) {
            it.bytesDone += bytes;
            if (it.state === 'pending') it.state = 'running';
          }
        }
        run.meter.record(run.info.bytesDone);
        touch();
      },
    };
  }

  private snapshot(run: Running): JobInfo {
    return { ...run.info, rate: run.meter.rate(), items: [...run.items.values()].map((i) => ({ ...i })) };
  }
}

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function rowToInfo(r: Record<string, unknown>): JobInfo {
  return {
    id: r.id as string,
    kind: r.kind as JobInfo['kind'],
    title: r.title as string,
    state: r.state as JobInfo['state'],
    phase: r.phase as string,
    createdAt: r.created_at as string,
    ...(r.finished_at ? { finishedAt: r.finished_at as string } : {}),
    bytesDone: r.bytes_done as number,
    bytesTotal: r.bytes_total as number,
    rate: 0,
    items: [],
    ...(r.result ? { result: JSON.parse(r.result as string) as unknown } : {}),
    ...(r.error ? { error: JSON.parse(r.error as string) as JobInfo['error'] } : {}),
  };
}
