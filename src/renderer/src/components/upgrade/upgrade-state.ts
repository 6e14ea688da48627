// The upgrade screen's draft and the jobs it follows, kept across navigation. The registry
// password lives only here, in memory, for the run it is typed for: never persisted.
import { create } from 'zustand';
import type { CustodyEvent, JobInfo } from '../../../../shared/api';
import type { UpgradeResult } from '../../../../shared/upgrade-types';
import { lines } from '../../state/drafts';

export interface UpgradeDraft {
  installId: string;
  source: 'dir' | 'volumes';
  dir: string;
  volumes: string;
}

interface UpgradeStore {
  draft: UpgradeDraft;
  password: string;
  /** The plan job (planOnly) and the key of the request it was made for. */
  planJobId: string | null;
  planKey: string | null;
  /** The upgrade job (backup, replace, health; rollback on failure). */
  runJobId: string | null;
  setDraft(p: Partial<UpgradeDraft>): void;
  setPassword(password: string): void;
}

export const useUpgrade = create<UpgradeStore>((set) => ({
  draft: { installId: '', source: 'dir', dir: '', volumes: '' },
  password: '',
  planJobId: null,
  planKey: null,
  runJobId: null,
  setDraft: (p) => set((s) => ({ draft: { ...s.draft, ...p } })),
  setPassword: (password) => set({ password }),
}));

/** The request's install and source as `upgrade:run` takes them, and a key that changes with them. */
export function upgradeSource(d: UpgradeDraft): { arg: { installId: string; dir?: string; volumes?: string[] } | null; key: string } {
  const installId = d.installId.trim();
  if (d.source === 'dir') {
    const dir = d.dir.trim();
    return { arg: installId && dir ? { installId, dir } : null, key: `${installId}|dir:${dir}` };
  }
  const volumes = lines(d.volumes);
  return { arg: installId && volumes.length ? { installId, volumes } : null, key: `${installId}|volumes:${volumes.join('\n')}` };
}

const OUTCOMES = new Set(['planned', 'upgraded', 'rolled-back']);

/** A job result shaped like an UpgradeResult (the job's result is untyped on the wire). */
export function upgradeResultOf(job: JobInfo | undefined): UpgradeResult | null {
  const r = job?.result as Partial<UpgradeResult> | undefined;
  if (!r || typeof r !== 'object' || !OUTCOMES.has(r.outcome as string) || !r.diff || typeof r.diff !== 'object') return null;
  return r as UpgradeResult;
}

/**
 * The outcome of a finished upgrade job: its UpgradeResult, or — when the service reports a
 * rollback as the job's error (UpgradeRolledBack) — the same facts read from the plan and from
 * the signed `upgrade.rolled-back` custody event the service recorded (reason, backup).
 */
export function upgradeOutcomeOf(job: JobInfo | undefined, plan: UpgradeResult | null, events: CustodyEvent[]): UpgradeResult | null {
  const direct = upgradeResultOf(job);
  if (direct || !job || !plan || job.state !== 'failed' || job.error?.name !== 'UpgradeRolledBack') return direct;
  const since = Date.parse(job.createdAt);
  const event = events.find((e) => e.type === 'upgrade.rolled-back' && e.details.toBundle === plan.diff.newBundleId && Date.parse(e.at) >= since);
  const d = (event?.details ?? {}) as { reason?: UpgradeResult['failure']; backup?: UpgradeResult['backup'] };
  return {
    installId: plan.installId,
    outcome: 'rolled-back',
    diff: plan.diff,
    notes: plan.notes,
    ...(d.backup && typeof d.backup.dir === 'string' ? { backup: d.backup } : {}),
    failure: d.reason && typeof d.reason.message === 'string' ? d.reason : { step: '?', message: job.error.message, ...(job.error.hint ? { hint: job.error.hint } : {}) },
  };
}
