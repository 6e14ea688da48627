import { FerryError } from '../../shared/errors';
import { loadBetterSqlite, openBetterSqlite } from './sqlite-better';
import { loadNodeSqlite, openNodeSqlite } from './sqlite-node';
import type { Db, OpenOptions, SqliteDriverName } from './sqlite-types';

/**
 * Which SQLite Ferry uses: FERRY_SQLITE=node|better-sqlite3 forces one; otherwise better-sqlite3
 * when its native module loads (the checkout, the Electron app), else node:sqlite (Node ≥ 22.16:
 * the offline kit, which ships the official Node 22 binary and no native module).
 */
interface Driver {
  name: SqliteDriverName;
  open(file: string, opts: OpenOptions): Db;
}

let chosen: { key: string; driver: Driver } | undefined;

const why = (err: unknown): string => (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim().slice(0, 400);

function betterSqlite(): Driver {
  const Database = loadBetterSqlite();
  return { name: 'better-sqlite3', open: (file, opts) => openBetterSqlite(Database, file, opts) };
}

function nodeSqlite(): Driver | undefined {
  const mod = loadNodeSqlite();
  return mod && { name: 'node', open: (file, opts) => openNodeSqlite(mod, file, opts) };
}

const NODE_HINT = 'node:sqlite needs Node.js 22.16 or newer (run the offline kit\'s "ferry", which brings its own Node 22).';

function choose(forced: string | undefined): Driver {
  if (forced === 'node') {
    const d = nodeSqlite();
    if (!d) throw new FerryError(`FERRY_SQLITE=node, but this Node.js (${process.version}) has no node:sqlite.`, `${NODE_HINT} Or unset FERRY_SQLITE to use better-sqlite3.`);
    return d;
  }
  if (forced === 'better-sqlite3') {
    try {
      return betterSqlite();
    } catch (err) {
      throw new FerryError(`FERRY_SQLITE=better-sqlite3, but better-sqlite3 cannot be loaded: ${why(err)}`, 'Run "npm rebuild better-sqlite3" for this Node.js, or unset FERRY_SQLITE to fall back to node:sqlite.');
    }
  }
  if (forced !== undefined && forced !== '') {
    throw new FerryError(`FERRY_SQLITE=${forced} is not a SQLite driver Ferry knows.`, 'Set FERRY_SQLITE to "node" or "better-sqlite3", or unset it to let Ferry choose.');
  }
  let betterErr: unknown;
  try {
    return betterSqlite();
  } catch (err) {
    betterErr = err;
  }
  const d = nodeSqlite();
  if (d) return d;
  throw new FerryError(
    `Ferry has no SQLite: better-sqlite3 cannot be loaded (${why(betterErr)}) and this Node.js (${process.version}) has no node:sqlite.`,
    `Run "npm rebuild better-sqlite3" in the checkout; or ${NODE_HINT}`,
  );
}

/** The driver Ferry uses in this process (chosen once per FERRY_SQLITE value). */
export function sqliteDriver(env: NodeJS.ProcessEnv = process.env): Driver {
  const key = env.FERRY_SQLITE ?? '';
  if (chosen?.key !== key) chosen = { key, driver: choose(key) };
  return chosen.driver;
}

/** Opens a SQLite database file with the chosen driver. */
export function openSqlite(file: string, opts: OpenOptions = {}, env: NodeJS.ProcessEnv = process.env): Db {
  return sqliteDriver(env).open(file, opts);
}
