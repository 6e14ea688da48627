import { existsSync } from 'node:fs';
import { sqliteCodeName } from './sqlite-codes';
import type { AnyFunction, ArgumentTypes, Db, OpenOptions, RunResult, Statement, Transaction } from './sqlite-types';

// The part of node:sqlite used here (all of it in Node ≥ 22.16); @types/node 20 does not describe it.
interface NodeStatement {
  run(...p: unknown[]): RunResult;
  get(...p: unknown[]): unknown;
  all(...p: unknown[]): unknown[];
  iterate(...p: unknown[]): IterableIterator<unknown>;
  setAllowUnknownNamedParameters(on: boolean): void;
  setReturnArrays(on: boolean): void;
}
interface NodeDatabase {
  readonly isOpen: boolean;
  readonly isTransaction: boolean;
  prepare(sql: string): NodeStatement;
  exec(sql: string): void;
  close(): void;
}
export interface NodeSqliteModule {
  DatabaseSync: new (path: string, opts?: { open?: boolean; readOnly?: boolean; enableForeignKeyConstraints?: boolean }) => NodeDatabase;
  StatementSync: { prototype: Partial<NodeStatement> };
  backup: (db: NodeDatabase, path: string) => Promise<number>;
}

/**
 * node:sqlite when this Node has all Ferry uses of it (Node ≥ 22.16: setReturnArrays, isTransaction,
 * backup); undefined otherwise (Node 20, or 22.13–22.15).
 */
export function loadNodeSqlite(): NodeSqliteModule | undefined {
  try {
    // getBuiltinModule: no bundler ever tries to resolve it, and it answers undefined where the module does not exist.
    const m = process.getBuiltinModule?.('node:sqlite') as NodeSqliteModule | undefined;
    if (m && typeof m.DatabaseSync === 'function' && typeof m.backup === 'function' && typeof m.StatementSync?.prototype.setReturnArrays === 'function') return m;
  } catch {
    /* not there */
  }
  return undefined;
}

/**
 * node:sqlite reports failures as `code: 'ERR_SQLITE_ERROR'` with the SQLite result code in
 * `errcode`; better-sqlite3 (and so `databaseError`) uses the name (`SQLITE_BUSY`, `SQLITE_CORRUPT`…).
 * Gives the error that name as its `code`, keeping errcode/errstr.
 */
export function mapNodeSqliteError(err: unknown): unknown {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; errcode?: unknown };
    if (typeof e.errcode === 'number') {
      e.code = sqliteCodeName(e.errcode);
      if (e.name === 'Error') e.name = 'SqliteError';
    }
  }
  return err;
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw mapNodeSqliteError(err);
  }
}

/** BLOBs come back as Uint8Array: Ferry (like better-sqlite3) hands out Buffers. */
const value = (v: unknown): unknown => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);

class NodeSqliteStatement implements Statement {
  #pluck = false;
  #raw = false;
  constructor(private readonly stmt: NodeStatement) {
    stmt.setAllowUnknownNamedParameters(true); // better-sqlite3 ignores keys the statement does not name
  }

  pluck(toggle = true): this {
    this.#pluck = toggle;
    if (toggle) this.#raw = false;
    return this.#arrays();
  }

  raw(toggle = true): this {
    this.#raw = toggle;
    if (toggle) this.#pluck = false;
    return this.#arrays();
  }

  /**
   * Rows as arrays for pluck/raw: objects would lose a column when two share a name, e.g.
   * `SELECT rowid, seq` where seq is the INTEGER PRIMARY KEY (both are named "seq").
   */
  #arrays(): this {
    this.stmt.setReturnArrays(this.#pluck || this.#raw);
    return this;
  }

  #row = (row: unknown): unknown => {
    if (row === undefined || row === null) return undefined;
    if (this.#pluck) return value((row as unknown[])[0]);
    if (this.#raw) return (row as unknown[]).map(value);
    const r = row as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k in r) out[k] = value(r[k]);
    return out;
  };

  run(...params: unknown[]): RunResult {
    return guard(() => this.stmt.run(...params));
  }

  get(...params: unknown[]): unknown {
    return this.#row(guard(() => this.stmt.get(...params)));
  }

  all(...params: unknown[]): unknown[] {
    return guard(() => this.stmt.all(...params)).map(this.#row);
  }

  *iterate(...params: unknown[]): IterableIterator<unknown> {
    const it = guard(() => this.stmt.iterate(...params));
    let done = false;
    try {
      for (;;) {
        const next = guard(() => it.next());
        if ((done = next.done === true)) return;
        yield this.#row(next.value);
      }
    } finally {
      if (!done) it.return?.(); // the caller stopped early: end the statement's read now
    }
  }
}

class NodeSqliteDb implements Db {
  #savepoints = 0;
  constructor(
    private readonly mod: NodeSqliteModule,
    private readonly db: NodeDatabase,
    readonly name: string,
  ) {}

  get open(): boolean {
    return this.db.isOpen;
  }

  get inTransaction(): boolean {
    return this.db.isTransaction;
  }

  prepare(sql: string): Statement {
    return new NodeSqliteStatement(guard(() => this.db.prepare(sql)));
  }

  exec(sql: string): this {
    guard(() => this.db.exec(sql));
    return this;
  }

  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const stmt = this.prepare(`PRAGMA ${source}`);
    return options.simple ? stmt.pluck().get() : stmt.all();
  }

  transaction<F extends AnyFunction>(fn: F): Transaction<F> {
    const wrap =
      (begin: string) =>
      (...params: ArgumentTypes<F>): ReturnType<F> => {
        if (this.inTransaction) return this.#nested(fn, params);
        this.exec(begin);
        try {
          const result = fn(...params) as ReturnType<F>;
          if (result && typeof (result as { then?: unknown }).then === 'function') throw new TypeError('Transaction function cannot return a promise');
          this.exec('COMMIT');
          return result;
        } catch (err) {
          this.#rollback('ROLLBACK');
          throw err;
        }
      };
    const tx = wrap('BEGIN') as Transaction<F>;
    tx.deferred = wrap('BEGIN DEFERRED');
    tx.immediate = wrap('BEGIN IMMEDIATE');
    tx.exclusive = wrap('BEGIN EXCLUSIVE');
    return tx;
  }

  #nested<F extends AnyFunction>(fn: F, params: ArgumentTypes<F>): ReturnType<F> {
    const sp = `ferry_tx_${++this.#savepoints}`;
    this.exec(`SAVEPOINT ${sp}`);
    try {
      const result = fn(...params) as ReturnType<F>;
      if (result && typeof (result as { then?: unknown }).then === 'function') throw new TypeError('Transaction function cannot return a promise');
      this.exec(`RELEASE ${sp}`);
      return result;
    } catch (err) {
      this.#rollback(`ROLLBACK TO ${sp}; RELEASE ${sp}`);
      throw err;
    } finally {
      this.#savepoints--;
    }
  }

  /** Undoes the failed transaction (SQLite may have done so itself); the caller's error is the one that counts. */
  #rollback(sql: string): void {
    if (!this.db.isTransaction) return;
    try {
      this.db.exec(sql);
    } catch {
      /* already rolled back */
    }
  }

  async backup(file: string): Promise<unknown> {
    try {
      return await this.mod.backup(this.db, file);
    } catch (err) {
      throw mapNodeSqliteError(err);
    }
  }

  close(): this {
    if (this.db.isOpen) this.db.close();
    return this;
  }
}

/** Opens `file` with node:sqlite. */
export function openNodeSqlite(mod: NodeSqliteModule, file: string, opts: OpenOptions = {}): Db {
  if (opts.fileMustExist && !existsSync(file)) {
    const err = new Error(`unable to open database file: ${file} does not exist`) as Error & { code: string };
    err.code = 'SQLITE_CANTOPEN';
    throw err;
  }
  // Foreign keys are enforced by default, as with better-sqlite3 (built with SQLITE_DEFAULT_FOREIGN_KEYS=1).
  const db = guard(() => new mod.DatabaseSync(file, { readOnly: opts.readonly ?? false, enableForeignKeyConstraints: true }));
  return new NodeSqliteDb(mod, db, file);
}
