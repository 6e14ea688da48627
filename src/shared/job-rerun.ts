import type { InvokeChannel, JobKind } from './api';

/**
 * The jobs that can run again from their stored request (`job:rerun`), and the channel that starts
 * each; the server refuses the others and the UI offers Resume only for these. Install and
 * upgrade jobs resume from the install's own steps instead.
 */
export const RERUN_CHANNEL: Partial<Record<JobKind, InvokeChannel>> = {
  'bundle.create': 'bundle:create',
  'bundle.verify': 'bundle:verify',
  'bundle.import': 'bundle:import',
  'media.write': 'media:write',
  'media.verify': 'media:verify',
};

/** Whether a job in this state of this kind may be run again. */
export function canRerun(job: { kind: JobKind; state: string }): boolean {
  return (job.state === 'canceled' || job.state === 'failed') && RERUN_CHANNEL[job.kind] !== undefined;
}
