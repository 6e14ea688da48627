import type BetterSqlite3 from 'better-sqlite3';
import type { Db, OpenOptions } from './sqlite-types';

type BetterSqliteModule = typeof BetterSqlite3;

/** Not a literal in require(): no bundler (the kit's esbuild) pulls better-sqlite3 and its native addon in. */
const MODULE = ['better', 'sqlite3'].join('-');

/**
 * better-sqlite3, loaded on first use only: a bundle without it (the offline kit) never loads it.
 * Constructing a database is what loads the native addon, so it is tried on an in-memory one:
 * an addon built for another Node ABI or a newer glibc fails here, not at the first real open.
 * Throws why it cannot be used.
 */
export function loadBetterSqlite(): BetterSqliteModule {
  // CommonJS everywhere Ferry runs (the electron-vite build, the kit's esbuild bundle, vitest, tsx).
  if (typeof require !== 'function') throw new Error('require() is not available to load better-sqlite3');
  const Database = require(MODULE) as BetterSqliteModule;
  new Database(':memory:').close();
  return Database;
}

/** Opens `file` with better-sqlite3: its Database is Ferry's Db as is. */
export function openBetterSqlite(Database: BetterSqliteModule, file: string, opts: OpenOptions = {}): Db {
  return new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.fileMustExist ?? false });
}
