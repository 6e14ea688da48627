// One pass over what Ferry asks of SQLite, through Ferry's own code (openDatabase, CustodyStore,
// databaseError, recoverDatabase, Db.backup). sqlite-parity.test.ts runs it in-process
// (better-sqlite3 on the checkout's Node 20) and, bundled by esbuild, under the official Node 22
// binary (node:sqlite, as the offline kit runs it), and compares the two summaries.
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CustodyStore } from '../../src/main/custody/custody-store';
import { databaseError, openDatabase, type Db } from '../../src/main/db/database';
import { recoverDatabase } from '../../src/main/db/recover';
import { openSqlite, sqliteDriver } from '../../src/main/db/sqlite-driver';

const identity = { actor: 'alice', station: 'lowside-1' };

function failure(fn: () => unknown): { name: string; code?: string; message: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    const e = err as Error & { code?: string };
    return { name: e.name, ...(e.code ? { code: e.code } : {}), message: e.message };
  }
}

/** A station database with custody events and enough job rows to span many pages. */
function station(file: string, events: number): void {
  const db = openDatabase(file);
  const custody = new CustodyStore(db, identity);
  const job = db.prepare(`INSERT INTO jobs (id, kind, title, state, phase, created_at, params) VALUES (?, 'verify', 't', 'succeeded', 'done', '2026-01-01T00:00:00Z', ?)`);
  for (let i = 1; i <= events; i++) {
    custody.append({ type: 'note', role: 'operator', bundleId: 'b-1', details: { i, pad: 'x'.repeat(300) } });
    job.run(`job-${i}`, JSON.stringify({ pad: 'y'.repeat(600) }));
  }
  db.close();
}

/** Overwrites the second leaf page of `table` with 0x5a bytes (the first rows stay readable). */
function smashLeaf(file: string, table: string): void {
  const db = openSqlite(file, { readonly: true });
  const pages = db.prepare(`SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno`).pluck().all(table) as number[];
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (pages[1]! - 1) * pageSize);
  closeSync(fd);
}

export async function runScenario(dir: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { driver: sqliteDriver().name };
  const file = join(dir, 'ferry.db');
  let db: Db = openDatabase(file);
  out.pragmas = { userVersion: db.pragma('user_version', { simple: true }), journal: db.pragma('journal_mode', { simple: true }), foreignKeys: db.pragma('foreign_keys', { simple: true }) };
  out.quickCheck = db.pragma('quick_check');

  const store = new CustodyStore(db, identity);
  for (let i = 0; i < 5; i++) store.append({ type: 'note', role: 'operator', bundleId: 'b1', details: { i } });
  out.chain = store.verifyChain();
  out.events = store.list({ bundleId: 'b1' }).map((e) => [e.seq, e.type, e.actor]);
  out.appendOnly = failure(() => db.prepare("UPDATE custody_events SET actor = 'mallory'").run())?.message;

  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, data BLOB)');
  const ins = db.prepare('INSERT INTO t (name, data) VALUES (@name, @data)');
  out.insert = ins.run({ name: 'a', data: Buffer.from([1, 2, 3]), unused: 1 });
  out.row = db.prepare('SELECT * FROM t WHERE id = ?').get(1);
  out.rowPrototype = Object.getPrototypeOf(db.prepare('SELECT * FROM t').get()) === Object.prototype;
  out.blobIsBuffer = Buffer.isBuffer(db.prepare('SELECT data FROM t').pluck().get());
  out.none = db.prepare('SELECT * FROM t WHERE id = 99').get() ?? 'undefined';
  // A throwing transaction leaves nothing; a nested one that throws is undone alone.
  out.rolledBack = failure(() => db.transaction(() => {
    ins.run({ name: 'b', data: null });
    throw new Error('boom');
  })())?.message;
  db.transaction(() => {
    ins.run({ name: 'c', data: null });
    failure(() => db.transaction(() => {
      ins.run({ name: 'd', data: null });
      throw new Error('inner');
    })());
    out.inTransaction = db.inTransaction;
  }).immediate();
  out.afterTransaction = db.inTransaction;
  out.names = db.prepare('SELECT name FROM t ORDER BY id').pluck().all();
  out.raw = db.prepare('SELECT id, name FROM t ORDER BY id').raw().all();
  out.iterated = [...db.prepare('SELECT name FROM t ORDER BY id').pluck().iterate()];
  out.unique = failure(() => ins.run({ name: 'a', data: null }))?.code;
  out.asyncTransaction = failure(() => db.transaction(async () => undefined)())?.message;

  await db.backup(join(dir, 'copy.db'));
  const copy = openDatabase(join(dir, 'copy.db'));
  out.backupChain = new CustodyStore(copy, identity).verifyChain();
  copy.close();

  // Another process holds a write transaction longer than the busy timeout.
  const holder = openSqlite(file);
  holder.exec('BEGIN IMMEDIATE');
  const before = process.env.FERRY_DB_BUSY_TIMEOUT_MS;
  process.env.FERRY_DB_BUSY_TIMEOUT_MS = '50';
  const busy = failure(() => db.exec('PRAGMA busy_timeout = 50').transaction(() => db.prepare('INSERT INTO t (name) VALUES (?)').run('busy')).immediate());
  out.busy = busy?.code;
  out.busyError = busy && databaseError(Object.assign(new Error(busy.message), { code: busy.code }), file)?.message;
  out.busyOpen = failure(() => openDatabase(file, [{ version: 99, name: 'x', sql: 'SELECT 1' }]))?.message;
  process.env.FERRY_DB_BUSY_TIMEOUT_MS = before;
  if (before === undefined) delete process.env.FERRY_DB_BUSY_TIMEOUT_MS;
  holder.exec('ROLLBACK');
  holder.close();
  db.close();
  out.closed = db.open;

  // Not a database at all.
  writeFileSync(join(dir, 'junk.db'), Buffer.alloc(8192, 7));
  out.junk = failure(() => openDatabase(join(dir, 'junk.db')));

  // A damaged page outside the custody log: a clear error, and recovery keeps every custody event.
  const damaged = join(dir, 'damaged', 'ferry.db');
  station(damaged, 40);
  smashLeaf(damaged, 'jobs');
  out.damaged = failure(() => openDatabase(damaged))?.name;
  const rec = recoverDatabase(damaged, new Date('2026-01-02T03:04:05Z'));
  out.recovered = { custody: rec.custody, tables: rec.tables.filter((t) => ['custody_events', 'jobs'].includes(t.table)).map((t) => ({ ...t })), keptAs: rec.keptAs.slice(dir.length) };
  db = openDatabase(damaged);
  out.recoveredChain = new CustodyStore(db, identity).verifyChain();
  db.close();
  return JSON.parse(JSON.stringify(out).replaceAll(dir, '<dir>')) as Record<string, unknown>;
}
