import type { InstallRequest, InstallStepState } from '../../shared/api-install';
import { FerryError } from '../../shared/errors';
import { isoWithOffset } from '../core/clock';
import type { Db } from '../db/database';
import type { StoredPlan } from './install-types';

/** The request as stored: never the registry password. */
export type StoredRequest = Omit<InstallRequest, 'password'>;

export interface InstallRecord {
  id: string;
  bundleId: string;
  recipeId: string;
  createdAt: string;
  updatedAt: string;
  request: StoredRequest;
  plan: StoredPlan;
}

export interface StepRecord {
  stepId: string;
  position: number;
  state: InstallStepState;
  startedAt?: string;
  finishedAt?: string;
  result?: Record<string, unknown>;
  error?: { message: string; hint?: string };
  log: string[];
}

interface InstallRow {
  id: string;
  bundle_id: string;
  recipe_id: string;
  created_at: string;
  updated_at: string;
  request: string;
  plan: string;
}

interface StepRow {
  step_id: string;
  position: number;
  state: string;
  started_at: string | null;
  finished_at: string | null;
  result: string | null;
  error: string | null;
  log_tail: string | null;
}

/** Removes the password (and anything else secret) before a request is written anywhere. */
export function storableRequest(req: InstallRequest): StoredRequest {
  const { password: _password, ...rest } = req;
  void _password;
  return rest;
}

/** SQLite persistence of installs (migration v4: `installs`, `install_steps`). */
export class InstallStore {
  constructor(private readonly db: Db) {}

  create(rec: Omit<InstallRecord, 'createdAt' | 'updatedAt'>): InstallRecord {
    const now = isoWithOffset();
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO installs (id, bundle_id, recipe_id, created_at, updated_at, request, plan) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(rec.id, rec.bundleId, rec.recipeId, now, now, JSON.stringify(storableRequest(rec.request as InstallRequest)), JSON.stringify(rec.plan));
      this.syncSteps(rec.id, rec.plan);
    })();
    return { ...rec, createdAt: now, updatedAt: now };
  }

  /** Saves a re-laid plan (e.g. after the preflight filled a parameter): step states are kept. */
  savePlan(id: string, plan: StoredPlan): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE installs SET plan = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(plan), isoWithOffset(), id);
      this.syncSteps(id, plan);
    })();
  }

  get(id: string): InstallRecord {
    const row = this.db.prepare('SELECT * FROM installs WHERE id = ?').get(id) as InstallRow | undefined;
    if (!row) throw new FerryError(`No install ${id} on this station.`, 'List installs with "ferry install list".', 'NotFound');
    return fromRow(row);
  }

  list(): InstallRecord[] {
    return (this.db.prepare('SELECT * FROM installs ORDER BY created_at DESC, id').all() as InstallRow[]).map(fromRow);
  }

  steps(id: string): Map<string, StepRecord> {
    const rows = this.db.prepare('SELECT * FROM install_steps WHERE install_id = ? ORDER BY position').all(id) as StepRow[];
    return new Map(rows.map((r) => [r.step_id, stepFromRow(r)]));
  }

  setStep(id: string, stepId: string, patch: Partial<Omit<StepRecord, 'stepId' | 'position'>>): void {
    const cur = this.steps(id).get(stepId);
    if (!cur) throw new FerryError(`Install ${id} has no step "${stepId}".`);
    const next = { ...cur, ...patch };
    this.db
      .prepare('UPDATE install_steps SET state = ?, started_at = ?, finished_at = ?, result = ?, error = ?, log_tail = ? WHERE install_id = ? AND step_id = ?')
      .run(
        next.state,
        next.startedAt ?? null,
        next.finishedAt ?? null,
        next.result === undefined ? null : JSON.stringify(next.result),
        next.error === undefined ? null : JSON.stringify(next.error),
        JSON.stringify(next.log.slice(-200)),
        id,
        stepId,
      );
    this.db.prepare('UPDATE installs SET updated_at = ? WHERE id = ?').run(isoWithOffset(), id);
  }

  /** Marks steps that ran as to be run again (state back to pending, result cleared, `reason` ending their log). */
  runAgain(id: string, stepIds: readonly string[], reason: string): string[] {
    const states = this.steps(id);
    const marked = stepIds.filter((s) => ['done', 'skipped', 'failed'].includes(states.get(s)?.state ?? 'pending'));
    this.db.transaction(() => {
      for (const s of marked) this.setStep(id, s, { state: 'pending', result: undefined, error: undefined, log: [...states.get(s)!.log, reason] });
    })();
    return marked;
  }

  /** Deletes the record and its steps (install_steps cascade). */
  remove(id: string): void {
    this.db.prepare('DELETE FROM install_steps WHERE install_id = ?').run(id);
    this.db.prepare('DELETE FROM installs WHERE id = ?').run(id);
  }

  private syncSteps(id: string, plan: StoredPlan): void {
    const have = new Set((this.db.prepare('SELECT step_id FROM install_steps WHERE install_id = ?').all(id) as { step_id: string }[]).map((r) => r.step_id));
    const insert = this.db.prepare(`INSERT INTO install_steps (install_id, step_id, position, state, log_tail) VALUES (?, ?, ?, 'pending', '[]')`);
    const move = this.db.prepare('UPDATE install_steps SET position = ? WHERE install_id = ? AND step_id = ?');
    plan.steps.forEach((s, i) => (have.has(s.id) ? move.run(i, id, s.id) : insert.run(id, s.id, i)));
    const wanted = new Set(plan.steps.map((s) => s.id));
    const drop = this.db.prepare('DELETE FROM install_steps WHERE install_id = ? AND step_id = ?');
    for (const s of have) if (!wanted.has(s)) drop.run(id, s);
  }
}

function fromRow(r: InstallRow): InstallRecord {
  return {
    id: r.id,
    bundleId: r.bundle_id,
    recipeId: r.recipe_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    request: JSON.parse(r.request) as StoredRequest,
    plan: JSON.parse(r.plan) as StoredPlan,
  };
}

function stepFromRow(r: StepRow): StepRecord {
  return {
    stepId: r.step_id,
    position: r.position,
    state: r.state as InstallStepState,
    ...(r.started_at ? { startedAt: r.started_at } : {}),
    ...(r.finished_at ? { finishedAt: r.finished_at } : {}),
    ...(r.result ? { result: JSON.parse(r.result) as Record<string, unknown> } : {}),
    ...(r.error ? { error: JSON.parse(r.error) as { message: string; hint?: string } } : {}),
    log: r.log_tail ? (JSON.parse(r.log_tail) as string[]) : [],
  };
}
