import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { closeSync, existsSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CustodyEvent } from '../../src/shared/api';
import { CustodyStore } from '../../src/main/custody/custody-store';
import { openDatabase } from '../../src/main/db/database';
import { JobRunner } from '../../src/main/jobs/job-runner';
import { tempDir } from '../harness/temp';
import { cli, seeded } from './faults-helpers';

// The station database under faults: two Ferry processes on one data directory (they serialize:
// no lost or duplicated custody rows, the chain verifies), and a damaged ferry.db (a clear error
// naming the file and `ferry doctor --recover`, which copies what can be read into a new database,
// keeps the damaged file and reports every custody event it could not recover).
const tmp = tempDir('ferry-faults-db-');
let n = 0;

interface DoctorJson {
  healthy: boolean;
  problems: string[];
  custody?: { events: number; chain: { ok: boolean; seq?: number; kind?: string } };
  recovery?: { keptAs: string; custody: { recovered: number; highestSeq?: number; missingSeqs: number[] }; unreadable?: string };
}

/** A data directory whose ferry.db holds `events` custody events and enough job rows to span many pages. */
function station(events: number): { data: string; file: string } {
  const data = join(tmp.path, `station${++n}`);
  const file = join(data, 'ferry.db');
  const db = openDatabase(file);
  const custody = new CustodyStore(db, { actor: 'operator.jane', station: 'ts-1' });
  const job = db.prepare(`INSERT INTO jobs (id, kind, title, state, phase, created_at, params) VALUES (?, 'verify', 't', 'succeeded', 'done', '2026-01-01T00:00:00Z', ?)`);
  for (let i = 1; i <= events; i++) {
    custody.append({ type: 'note', role: 'operator', bundleId: 'b-1', details: { i, pad: 'x'.repeat(400) } });
    job.run(`job-${i}`, JSON.stringify({ pad: 'y'.repeat(600) }));
  }
  db.close();
  return { data, file };
}

/** Overwrites page `pageno` (1-based) of `file` with seeded garbage. */
function smash(file: string, pageno: number, pageSize: number, seed: number): void {
  const rnd = seeded(seed);
  const junk = Buffer.alloc(pageSize, 0);
  for (let i = 0; i < pageSize; i++) junk[i] = Math.floor(rnd() * 256);
  const fd = openSync(file, 'r+');
  writeSync(fd, junk, 0, pageSize, (pageno - 1) * pageSize);
  closeSync(fd);
}

/** A leaf page of `table` (the second one, so the first rows stay readable). */
function leafOf(file: string, table: string): { pageno: number; pageSize: number } {
  const db = new Database(file, { readonly: true });
  try {
    const pages = db.prepare(`SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno`).pluck().all(table) as number[];
    return { pageno: pages[1] ?? pages[0]!, pageSize: db.pragma('page_size', { simple: true }) as number };
  } finally {
    db.close();
  }
}

describe('two Ferry processes on one data directory', () => {
  it('append custody events at the same time: every event is kept once, in one verifying chain', async () => {
    const data = join(tmp.path, 'shared');
    // Both start on a directory with no database yet: creating and migrating it must happen once.
    const runs = Array.from({ length: 6 }, (_, i) => cli(['custody', 'record', 'note', '--bundle', 'b-1', '--detail', `i=${i}`, '--data-dir', data, '--json']));
    const done = await Promise.all(runs);
    for (const r of done) expect(r.code, r.stderr).toBe(0);
    const log = await cli(['custody', 'log', '--data-dir', data, '--json']);
    const events = log.json<CustodyEvent[]>();
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(events.map((e) => (e.details as { i: string }).i)).size).toBe(6);
    const doc = await cli(['doctor', '--data-dir', data, '--json']);
    expect(doc.code, doc.stdout).toBe(0);
    expect(doc.json<DoctorJson>()).toMatchObject({ healthy: true, custody: { events: 6, chain: { ok: true } } });
  });

  it('a process starting on the directory marks only the jobs of dead processes as interrupted, not those of a live one', async () => {
    const file = join(tmp.path, 'jobs', 'ferry.db');
    const db = openDatabase(file);
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    const dead = spawn('true', [], { stdio: 'ignore' });
    await new Promise((r) => dead.on('exit', r));
    try {
      const add = db.prepare(`INSERT INTO jobs (id, kind, title, state, phase, created_at, params, owner_pid, owner_host) VALUES (?, 'verify', 't', 'running', 'hashing', '2026-01-01T00:00:00Z', '{}', ?, ?)`);
      add.run('live', other.pid, hostname());
      add.run('dead', dead.pid, hostname());
      add.run('old', null, null); // written before jobs recorded their process
      const jobs = new JobRunner(db);
      expect(jobs.get('live').state).toBe('running');
      expect(jobs.get('dead')).toMatchObject({ state: 'failed', error: { name: 'Interrupted' } });
      expect(jobs.get('old').state).toBe('failed');
    } finally {
      other.kill('SIGKILL');
      db.close();
    }
  });
});

describe('a damaged station database', () => {
  it('a damaged page outside the custody log: a clear error naming the file, and --recover keeps every custody event', async () => {
    const { data, file } = station(40);
    const { pageno, pageSize } = leafOf(file, 'jobs');
    smash(file, pageno, pageSize, 7);

    const r = await cli(['custody', 'log', '--data-dir', data, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`The station database ${file} is damaged`);
    expect(r.stderr).toContain(`ferry doctor --recover --data-dir ${data}`);

    const check = await cli(['doctor', '--data-dir', data, '--json']);
    expect(check.code).toBe(1);
    expect(check.json<DoctorJson>().healthy).toBe(false);

    const fix = await cli(['doctor', '--recover', '--data-dir', data, '--json']);
    expect(fix.code, fix.stdout + fix.stderr).toBe(0);
    const rep = fix.json<DoctorJson>();
    expect(rep).toMatchObject({ healthy: true, custody: { events: 40, chain: { ok: true } }, recovery: { custody: { recovered: 40, highestSeq: 40, missingSeqs: [] } } });
    expect(existsSync(rep.recovery!.keptAs)).toBe(true);
    const after = await cli(['custody', 'log', '--data-dir', data, '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.json<CustodyEvent[]>()).toHaveLength(40);
  });

  it('a damaged page of the custody log: recovery names every event it could not read and the chain break; nothing is dropped silently', async () => {
    const { data, file } = station(40);
    const { pageno, pageSize } = leafOf(file, 'custody_events');
    smash(file, pageno, pageSize, 11);
    const fix = await cli(['doctor', '--recover', '--data-dir', data, '--json']);
    expect(fix.code).toBe(1);
    const rep = fix.json<DoctorJson>();
    const missing = rep.recovery!.custody.missingSeqs;
    expect(missing.length).toBeGreaterThan(0);
    expect(rep.recovery!.custody.recovered + missing.length).toBe(40);
    expect(rep.problems[0]).toContain(`${missing.length} custody event(s) could not be recovered: #${missing[0]}`);
    expect(rep.custody!.chain).toMatchObject({ ok: false, seq: missing.at(-1)! + 1 });
    expect(existsSync(rep.recovery!.keptAs)).toBe(true);
    const human = await cli(['doctor', '--data-dir', data]);
    expect(human.stdout).toMatch(/Custody chain: BROKEN at event #\d+/);
  });

  it('an unreadable header: a clear error; --recover keeps the file aside and says nothing could be read', async () => {
    const { data, file } = station(5);
    smash(file, 1, 100, 3);
    const r = await cli(['custody', 'log', '--data-dir', data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`The station database ${file} is damaged`);
    const fix = await cli(['doctor', '--recover', '--data-dir', data, '--json']);
    expect(fix.code).toBe(1);
    const rep = fix.json<DoctorJson>();
    expect(rep.recovery!.unreadable).toBeTruthy();
    expect(rep.problems[0]).toMatch(/could not be read/);
    expect(readdirSync(data).some((f) => f.startsWith('ferry.db.corrupt-'))).toBe(true);
  });
});
