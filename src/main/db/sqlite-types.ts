/**
 * Ferry's own small SQLite interface: the part of better-sqlite3's API Ferry uses. Two drivers
 * implement it: better-sqlite3 (the checkout on Node 20, the Electron app) and node:sqlite (the
 * offline kit on the official Node 22 binary, which needs no native module). See sqlite-driver.ts.
 *
 * A better-sqlite3 `Database` satisfies this interface as is, so that driver adds no wrapper.
 */

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/**
 * A prepared statement. Parameters are positional (`?`) values, or one object for `@name`
 * parameters (keys without the `@`). Values: number, bigint, string, Buffer, null.
 */
export interface Statement {
  run(...params: unknown[]): RunResult;
  /** The first row, or undefined. */
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** Rows become the value of their first column. */
  pluck(toggle?: boolean): this;
  /** Rows become arrays of column values, in column order. */
  raw(toggle?: boolean): this;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (...params: any[]) => unknown;
export type ArgumentTypes<F extends AnyFunction> = F extends (...args: infer A) => unknown ? A : never;

/** `db.transaction(fn)`: calling it runs fn in BEGIN (DEFERRED) … COMMIT, or in a savepoint when nested; a throw rolls back. */
export interface Transaction<F extends AnyFunction> {
  (...params: ArgumentTypes<F>): ReturnType<F>;
  deferred(...params: ArgumentTypes<F>): ReturnType<F>;
  immediate(...params: ArgumentTypes<F>): ReturnType<F>;
  exclusive(...params: ArgumentTypes<F>): ReturnType<F>;
}

export interface Db {
  /** The database file's path, as opened. */
  readonly name: string;
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): Statement;
  exec(sql: string): this;
  /** `PRAGMA <source>`: every row, or with `simple` the first column of the first row. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<F extends AnyFunction>(fn: F): Transaction<F>;
  /** A consistent copy of the database (it may be in use) written to `file`. */
  backup(file: string): Promise<unknown>;
  close(): unknown;
}

export interface OpenOptions {
  readonly?: boolean;
  /** Fail instead of creating a new, empty database. */
  fileMustExist?: boolean;
}

export type SqliteDriverName = 'better-sqlite3' | 'node';
