import type { ImportResult, JobInfo } from '../../../shared/api';

// What a finished job's badge says: the verdict of its result, not merely that the job ran to
// its end. A verify that found problems "succeeded" as a job but FAILED as a verify.

export type VerdictTone = 'running' | 'succeeded' | 'failed' | 'canceled' | 'ok' | 'bad' | 'neutral';

export interface Verdict {
  tone: VerdictTone;
  text: string;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What an import delivered, counted per kind of target. */
export function importedCount(r: ImportResult): number {
  return r.registry.length + r.docker.length + r.models.length + (r.ollama?.length ?? 0);
}

/** Why an import delivered nothing, from what it skipped. */
export function nothingImportedWhy(r: ImportResult): string {
  const skipped = r.skipped ?? [];
  return skipped.length ? skipped.map((s) => `${s.target}: ${s.reason}`).join('; ') : 'no target was chosen';
}

function hasOk(v: unknown): v is { ok: boolean; problems?: unknown[] } {
  return typeof v === 'object' && v !== null && typeof (v as { ok?: unknown }).ok === 'boolean';
}

function isImport(v: unknown): v is ImportResult {
  return typeof v === 'object' && v !== null && Array.isArray((v as ImportResult).registry) && Array.isArray((v as ImportResult).models);
}

export function jobVerdict(job: JobInfo): Verdict {
  if (job.state === 'canceled') return { tone: 'canceled', text: 'canceled' };
  if (job.state !== 'succeeded') return { tone: job.state, text: job.state };
  const r = job.result;
  if ((job.kind === 'bundle.verify' || job.kind === 'media.verify') && hasOk(r)) {
    const n = Array.isArray(r.problems) ? r.problems.length : 0;
    return r.ok ? { tone: 'ok', text: 'verified' } : { tone: 'bad', text: `failed (${plural(n, 'problem')})` };
  }
  if (job.kind === 'bundle.import' && isImport(r)) {
    const n = importedCount(r);
    return n > 0 ? { tone: 'ok', text: `imported ${plural(n, 'artifact')}` } : { tone: 'bad', text: 'imported nothing' };
  }
  if (job.kind === 'media.write' && typeof r === 'object' && r !== null && typeof (r as { complete?: unknown }).complete === 'boolean') {
    return (r as { complete: boolean }).complete ? { tone: 'ok', text: 'written' } : { tone: 'bad', text: 'incomplete' };
  }
  if (hasOk(r) && !r.ok) return { tone: 'bad', text: 'failed' };
  return { tone: 'succeeded', text: 'succeeded' };
}
