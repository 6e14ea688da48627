import { createHash } from 'node:crypto';
import { canonicalJson } from '../bundle/canonical-json';
import { isoWithOffset } from '../core/clock';
import type { Db } from '../db/database';
import type { VerifiedFiles } from '../acquire/tasks';
import { parseLock, type Lock } from './lock-schema';

export interface Acquisition {
  outDir: string;
  argsKey: string;
  lockId: string;
  bundleId: string;
  state: 'running' | 'done';
}

/** The id of a lock: sha256 of its canonical JSON. */
export function lockId(lock: Lock): string {
  return createHash('sha256').update(canonicalJson(lock)).digest('hex');
}

/**
 * Locks and acquisition state in the station database (migration 3): the same `ferry bundle
 * create` arguments for the same output find the lock they resolved before and the files
 * already verified, so a killed or canceled run continues instead of starting over.
 */
export class LockStore {
  constructor(private readonly db: Db) {}

  saveLock(lock: Lock): string {
    const id = lockId(lock);
    this.db.prepare('INSERT OR IGNORE INTO recipe_locks (id, recipe_id, created_at, lock) VALUES (?, ?, ?, ?)').run(id, lock.recipe.id, isoWithOffset(), canonicalJson(lock));
    return id;
  }

  getLock(id: string): Lock | undefined {
    const row = this.db.prepare('SELECT lock FROM recipe_locks WHERE id = ?').get(id) as { lock: string } | undefined;
    return row ? parseLock(JSON.parse(row.lock), `stored lock ${id}`) : undefined;
  }

  findAcquisition(outDir: string): Acquisition | undefined {
    const r = this.db.prepare('SELECT * FROM acquisitions WHERE out_dir = ?').get(outDir) as Record<string, string> | undefined;
    return r ? { outDir, argsKey: r.args_key!, lockId: r.lock_id!, bundleId: r.bundle_id!, state: r.state as Acquisition['state'] } : undefined;
  }

  /** Starts (or restarts, with another lock: forgetting the files verified for the old one) an acquisition into `outDir`. */
  startAcquisition(a: Omit<Acquisition, 'state'>): void {
    const now = isoWithOffset();
    this.db.transaction(() => {
      const prev = this.findAcquisition(a.outDir);
      if (prev && prev.lockId !== a.lockId) this.db.prepare('DELETE FROM acquired_files WHERE out_dir = ?').run(a.outDir);
      this.db
        .prepare(
          `INSERT INTO acquisitions (out_dir, args_key, lock_id, bundle_id, state, started_at, updated_at) VALUES (?, ?, ?, ?, 'running', ?, ?)
           ON CONFLICT(out_dir) DO UPDATE SET args_key = excluded.args_key, lock_id = excluded.lock_id, bundle_id = excluded.bundle_id, state = 'running', updated_at = excluded.updated_at`,
        )
        .run(a.outDir, a.argsKey, a.lockId, a.bundleId, now, now);
    })();
  }

  finishAcquisition(outDir: string): void {
    this.db.prepare(`UPDATE acquisitions SET state = 'done', updated_at = ? WHERE out_dir = ?`).run(isoWithOffset(), outDir);
    this.db.prepare('DELETE FROM acquired_files WHERE out_dir = ?').run(outDir);
  }

  /**
   * Records of files verified into `outDir` (model and local files, which are not named by their
   * hash). Writes are batched (a commit waits for the disk, and transfers share this thread): one
   * transaction at most every 2 s and at flush(). A record lost to a crash only costs a re-hash.
   */
  verifiedFiles(outDir: string): VerifiedFiles {
    const get = this.db.prepare('SELECT size, sha256 FROM acquired_files WHERE out_dir = ? AND path = ?');
    const put = this.db.prepare('INSERT OR REPLACE INTO acquired_files (out_dir, path, size, sha256) VALUES (?, ?, ?, ?)');
    const pending = new Map<string, { sha256: string; size: number }>();
    let last = Date.now();
    const flush = (): void => {
      if (pending.size === 0) return;
      this.db.transaction(() => {
        for (const [path, r] of pending) put.run(outDir, path, r.size, r.sha256);
      })();
      pending.clear();
      last = Date.now();
    };
    return {
      get: (path) => pending.get(path) ?? (get.get(outDir, path) as { sha256: string; size: number } | undefined),
      put: (path, sha256, size) => {
        pending.set(path, { sha256, size });
        if (Date.now() - last >= 2_000) flush();
      },
      flush,
    };
  }
}
