import { isoWithOffset } from '../core/clock';
import type { Db } from '../db/database';
import { InstallStore, storableRequest, type InstallRecord, type StepRecord } from '../install/install-store';
import type { InstallRequest } from '../../shared/api-install';

// The install record as an upgrade changes it: pointed at the new bundle (request source, bundle
// id, plan), or put back exactly as the backup holds it (step states included) on rollback.

export interface SavedRecord {
  record: InstallRecord;
  steps: StepRecord[];
}

export function snapshot(db: Db, installId: string): SavedRecord {
  const store = new InstallStore(db);
  return { record: store.get(installId), steps: [...store.steps(installId).values()] };
}

/** Points the install at another bundle: request, bundle id and plan (step states of kept steps stay). */
export function pointInstallAt(db: Db, rec: InstallRecord): void {
  db.transaction(() => {
    db.prepare('UPDATE installs SET bundle_id = ?, request = ?, updated_at = ? WHERE id = ?').run(rec.bundleId, JSON.stringify(storableRequest(rec.request as InstallRequest)), isoWithOffset(), rec.id);
    new InstallStore(db).savePlan(rec.id, rec.plan);
  })();
}

/** Puts the record and every step state back as saved. */
export function restoreRecord(db: Db, saved: SavedRecord): void {
  const { record: r, steps } = saved;
  db.transaction(() => {
    db.prepare('UPDATE installs SET bundle_id = ?, request = ?, plan = ?, updated_at = ? WHERE id = ?').run(r.bundleId, JSON.stringify(r.request), JSON.stringify(r.plan), isoWithOffset(), r.id);
    db.prepare('DELETE FROM install_steps WHERE install_id = ?').run(r.id);
    const insert = db.prepare('INSERT INTO install_steps (install_id, step_id, position, state, started_at, finished_at, result, error, log_tail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (const s of steps) {
      insert.run(r.id, s.stepId, s.position, s.state, s.startedAt ?? null, s.finishedAt ?? null, s.result === undefined ? null : JSON.stringify(s.result), s.error === undefined ? null : JSON.stringify(s.error), JSON.stringify(s.log.slice(-200)));
    }
  })();
}
