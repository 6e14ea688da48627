import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../src/shared/errors';
import { CorruptDatabaseError, databaseError } from '../../src/main/db/database';
import { sqliteCodeName } from '../../src/main/db/sqlite-codes';
import { openSqlite, sqliteDriver } from '../../src/main/db/sqlite-driver';
import { loadNodeSqlite, mapNodeSqliteError } from '../../src/main/db/sqlite-node';
import { tempDir } from '../harness/temp';

// Which SQLite Ferry uses where (the node:sqlite side itself runs in sqlite-parity.test.ts, under Node 22).
describe('choosing the SQLite driver', () => {
  it('defaults to better-sqlite3 where its native module loads (the checkout)', () => {
    expect(sqliteDriver({}).name).toBe('better-sqlite3');
    expect(sqliteDriver({ FERRY_SQLITE: 'better-sqlite3' }).name).toBe('better-sqlite3');
  });

  it('FERRY_SQLITE=node uses node:sqlite, or says it needs Node 22.16 where there is none', () => {
    if (loadNodeSqlite()) {
      expect(sqliteDriver({ FERRY_SQLITE: 'node' }).name).toBe('node');
    } else {
      const err = (() => {
        try {
          sqliteDriver({ FERRY_SQLITE: 'node' });
        } catch (e) {
          return e as FerryError;
        }
        throw new Error('no error');
      })();
      expect(err).toBeInstanceOf(FerryError);
      expect(err.message).toContain(`FERRY_SQLITE=node, but this Node.js (${process.version}) has no node:sqlite`);
      expect(err.hint).toMatch(/22\.16/);
    }
  });

  it('refuses a driver name it does not know, naming the variable', () => {
    expect(() => sqliteDriver({ FERRY_SQLITE: 'sqlite4' })).toThrow(/FERRY_SQLITE=sqlite4 is not a SQLite driver/);
  });

  it('fileMustExist refuses a missing file instead of creating an empty database', () => {
    const t = tempDir();
    try {
      expect(() => openSqlite(join(t.path, 'none.db'), { readonly: true, fileMustExist: true })).toThrow();
    } finally {
      t.cleanup();
    }
  });
});

describe('node:sqlite errors read as better-sqlite3 errors', () => {
  const nodeError = (errcode: number, errstr: string): Error => Object.assign(new Error(errstr), { code: 'ERR_SQLITE_ERROR', errcode, errstr });

  it('names result codes as better-sqlite3 does, extended codes included', () => {
    expect(sqliteCodeName(5)).toBe('SQLITE_BUSY');
    expect(sqliteCodeName(11)).toBe('SQLITE_CORRUPT');
    expect(sqliteCodeName(26)).toBe('SQLITE_NOTADB');
    expect(sqliteCodeName(779)).toBe('SQLITE_CORRUPT_INDEX');
    expect(sqliteCodeName(2067)).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(sqliteCodeName(517)).toBe('SQLITE_BUSY_SNAPSHOT');
  });

  it('so databaseError turns a busy or damaged database into its clear error', () => {
    const busy = databaseError(mapNodeSqliteError(nodeError(5, 'database is locked')), '/data/ferry.db');
    expect(busy?.message).toMatch(/^The station database \/data\/ferry\.db is busy/);
    expect(databaseError(mapNodeSqliteError(nodeError(517, 'database is locked')), '/data/ferry.db')?.message).toMatch(/is busy/);
    const corrupt = databaseError(mapNodeSqliteError(nodeError(26, 'file is not a database')), '/data/ferry.db');
    expect(corrupt).toBeInstanceOf(CorruptDatabaseError);
    expect(corrupt?.message).toBe('The station database /data/ferry.db is damaged: file is not a database');
    expect(databaseError(mapNodeSqliteError(nodeError(1, 'SQL logic error')), '/data/ferry.db')).toBeUndefined();
  });

  it('keeps the original error, its message, errcode and errstr', () => {
    const e = nodeError(11, 'database disk image is malformed');
    expect(mapNodeSqliteError(e)).toBe(e);
    expect(e).toMatchObject({ code: 'SQLITE_CORRUPT', errcode: 11, errstr: 'database disk image is malformed', message: 'database disk image is malformed', name: 'SqliteError' });
  });
});
