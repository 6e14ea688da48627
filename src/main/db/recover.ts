import { chmodSync, existsSync, renameSync, rmSync } from 'node:fs';
import { openDatabase, type Db } from './database';
import { openSqlite } from './sqlite-driver';

/** What `recoverDatabase` copied, table by table. */
export interface TableRecovery {
  table: string;
  rows: number;
  /** Rows (or whole ranges) that could not be read. */
  unreadable: boolean;
}

export interface DatabaseRecovery {
  /** The new database, now at the original path. */
  file: string;
  /** Where the damaged file was kept. */
  keptAs: string;
  tables: TableRecovery[];
  custody: {
    recovered: number;
    /** The highest sequence number seen in the damaged file (undefined when none could be read). */
    highestSeq?: number;
    /** Sequence numbers between 1 and highestSeq that could not be read: never dropped silently. */
    missingSeqs: number[];
  };
  /** The header or schema could not be read at all: nothing was copied. */
  unreadable?: string;
}

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Reads every row of `table` it can: a full scan first, then, past a damaged page, row by row. */
function copyTable(from: Db, to: Db, table: string, columns: string[]): TableRecovery {
  const cols = columns.map(q).join(', ');
  const insert = to.prepare(`INSERT OR IGNORE INTO ${q(table)} (${cols}) VALUES (${columns.map(() => '?').join(', ')})`);
  let rows = 0;
  let last = -Infinity;
  let unreadable = false;
  const take = (r: unknown[]): void => {
    last = r[0] as number;
    insert.run(...r.slice(1));
    rows++;
  };
  try {
    for (const r of from.prepare(`SELECT rowid, ${cols} FROM ${q(table)} ORDER BY rowid`).raw().iterate() as Iterable<unknown[]>) take(r);
    return { table, rows, unreadable };
  } catch {
    unreadable = true;
  }
  // Past the damage: point lookups by rowid reach the rows on intact pages.
  let max: number | undefined;
  try {
    max = (from.prepare(`SELECT max(rowid) AS m FROM ${q(table)}`).get() as { m: number | null }).m ?? undefined;
  } catch {
    max = undefined;
  }
  const one = from.prepare(`SELECT rowid, ${cols} FROM ${q(table)} WHERE rowid = ?`).raw();
  const end = max ?? (Number.isFinite(last) ? last : 0) + 100_000;
  for (let id = Number.isFinite(last) ? last + 1 : 1; id <= end; id++) {
    try {
      const r = one.get(id) as unknown[] | undefined;
      if (r) take(r);
    } catch {
      /* this row's page is damaged */
    }
  }
  return { table, rows, unreadable };
}

function tablesOf(db: Db): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[];
  for (const n of names) out.set(n, (db.prepare(`PRAGMA table_info(${q(n)})`).all() as { name: string }[]).map((c) => c.name));
  return out;
}

/**
 * Copies every readable row of a damaged station database into a new one with the current
 * schema, keeps the damaged file as `<file>.corrupt-<time>` (never deleted), and puts the new one
 * in its place. Custody events keep their sequence numbers and hashes, so the chain can be
 * verified afterwards; the ones that could not be read are listed, not dropped silently.
 */
export function recoverDatabase(file: string, now = new Date()): DatabaseRecovery {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const keptAs = `${file}.corrupt-${stamp}`;
  const fresh = `${file}.recovering`;
  for (const f of [fresh, `${fresh}-wal`, `${fresh}-shm`]) rmSync(f, { force: true });
  const to = openDatabase(fresh);
  const tables: TableRecovery[] = [];
  const custody: DatabaseRecovery['custody'] = { recovered: 0, missingSeqs: [] };
  let unreadable: string | undefined;
  let from: Db | undefined;
  try {
    to.pragma('foreign_keys = OFF');
    try {
      from = openSqlite(file, { readonly: true, fileMustExist: true });
      const old = tablesOf(from);
      const target = tablesOf(to);
      to.transaction(() => {
        for (const [table, cols] of target) {
          const have = old.get(table);
          if (!have) continue;
          const shared = cols.filter((c) => have.includes(c));
          tables.push(copyTable(from!, to, table, shared));
        }
      })();
    } catch (err) {
      unreadable = err instanceof Error ? err.message : String(err);
    }
    const seqs = to.prepare('SELECT seq FROM custody_events ORDER BY seq').pluck().all() as number[];
    custody.recovered = seqs.length;
    let highest: number | undefined = seqs.at(-1);
    try {
      const m = from ? ((from.prepare('SELECT max(seq) FROM custody_events').pluck().get() as number | null) ?? undefined) : undefined;
      if (m !== undefined && (highest === undefined || m > highest)) highest = m;
    } catch {
      /* the rightmost page is damaged: the highest recovered seq is what is known */
    }
    custody.highestSeq = highest;
    const have = new Set(seqs);
    for (let s = 1; highest !== undefined && s <= highest; s++) if (!have.has(s)) custody.missingSeqs.push(s);
  } finally {
    from?.close();
    to.close();
  }
  for (const ext of ['', '-wal', '-shm']) if (existsSync(`${file}${ext}`)) renameSync(`${file}${ext}`, `${keptAs}${ext}`);
  renameSync(fresh, file);
  for (const ext of ['-wal', '-shm']) rmSync(`${fresh}${ext}`, { force: true });
  chmodSync(file, 0o600);
  return { file, keptAs, tables, custody, ...(unreadable ? { unreadable } : {}) };
}
