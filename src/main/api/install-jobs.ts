import type { JobInfo, JobKind } from '../../shared/api';
import { UsageError } from '../../shared/errors';
import type { Services } from '../core/services';
import type { JobBody } from '../jobs/job-runner';

// One job at a time per install: a second run, undo or upgrade while one is going would race on
// the same steps and containers. The guard belongs to the station's job runner, so every handler
// family (install:run, install:undo, upgrade:run) and every transport shares it.

const activeByJobs = new WeakMap<Services['jobs'], Map<string, string>>();

/** Starts `body` as the one job of `installId`, or refuses naming the job already running. */
export function startInstallJob<T>(s: Pick<Services, 'jobs'>, installId: string, kind: JobKind, title: string, params: Record<string, unknown>, body: JobBody<T>): JobInfo {
  let active = activeByJobs.get(s.jobs);
  if (!active) activeByJobs.set(s.jobs, (active = new Map()));
  const busy = active.get(installId);
  if (busy && s.jobs.get(busy).state === 'running') {
    throw new UsageError(`Install ${installId} is already running (job ${busy}).`, 'Wait for that job to finish, or cancel it, before running, undoing or upgrading again.');
  }
  const job = s.jobs.start(kind, title, params, body);
  active.set(installId, job.id);
  const mine = active;
  void s.jobs.wait(job.id).finally(() => {
    if (mine.get(installId) === job.id) mine.delete(installId);
  });
  return job;
}
