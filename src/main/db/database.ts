import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { FerryError } from '../../shared/errors';
import { MIGRATIONS, type Migration } from './migrations';
import { openSqlite } from './sqlite-driver';
import type { Db } from './sqlite-types';

/** Ferry's SQLite interface (better-sqlite3 or node:sqlite underneath: sqlite-driver.ts). */
export type { Db, Statement, Transaction } from './sqlite-types';

/** How long a statement waits for another Ferry process holding the database (FERRY_DB_BUSY_TIMEOUT_MS, default 30 s). */
export function busyTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.FERRY_DB_BUSY_TIMEOUT_MS);
  return Number.isFinite(v) && v >= 0 ? v : 30_000;
}

const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB']);

/** The station database could not be read: names the file and the recovery path. */
export class CorruptDatabaseError extends FerryError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(
      `The station database ${file} is damaged: ${detail}`,
      `Run "ferry doctor --recover --data-dir ${dirname(file)}": it copies every readable row into a new database, keeps the damaged file beside it, and reports how many custody events it recovered and whether the chain verifies.`,
      'CorruptDatabaseError',
    );
  }
}

/** A clear error for SQLite failures that have one (damaged file, another process holding it); else undefined. */
export function databaseError(err: unknown, file: string): FerryError | undefined {
  if (err instanceof FerryError) return err;
  const code = (err as { code?: unknown }).code;
  const msg = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && CORRUPT.has(code)) return new CorruptDatabaseError(file, msg);
  if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)(_|$)/.test(code)) {
    return new FerryError(`The station database ${file} is busy: another Ferry process held it for longer than ${busyTimeoutMs() / 1000} s`, 'Wait for the other Ferry command (or the app) to finish, then retry; FERRY_DB_BUSY_TIMEOUT_MS sets how long to wait.');
  }
  return undefined;
}

/** PRAGMA quick_check: a damaged page anywhere is found at open, not half-way through a job. */
function checkReadable(db: Db, file: string): void {
  const rows = db.pragma('quick_check(3)') as { quick_check: string }[];
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
  if (problems.length > 0) throw new CorruptDatabaseError(file, problems.join('; '));
}

/** Opens (creating if needed) the station database, checks it is readable and brings its schema up to date. */
export function openDatabase(file: string, migrations: Migration[] = MIGRATIONS): Db {
  mkdirSync(dirname(file), { recursive: true });
  let db: Db | undefined;
  try {
    db = openSqlite(file);
    // First, so that switching to WAL and migrating also wait for another process instead of failing.
    db.pragma(`busy_timeout = ${busyTimeoutMs()}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    checkReadable(db, file);
    migrate(db, migrations);
    return db;
  } catch (err) {
    db?.close();
    throw databaseError(err, file) ?? err;
  }
}

/** Applies pending migrations; the version is read inside a write transaction, so two processes opening a new database at once migrate it once. */
export function migrate(db: Db, migrations: Migration[]): number {
  const latest = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > latest) {
      throw new FerryError(
        `The database ${db.name} has schema version ${current}, newer than this Ferry understands (${latest}).`,
        'Upgrade Ferry, or point --data-dir at another directory.',
      );
    }
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
  }).immediate();
  return db.pragma('user_version', { simple: true }) as number;
}
