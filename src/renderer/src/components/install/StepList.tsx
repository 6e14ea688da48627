import { useEffect, useState } from 'react';
import type { JobInfo } from '../../../../shared/api';
import type { InstallView } from '../../../../shared/api-install';
import { api } from '../../api/client';
import { useCustody } from '../../state/custody';
import { refreshInstall, useInstall } from '../../state/install';
import { useJob, useJobs } from '../../state/jobs';
import { ErrorBox, toShape } from '../ErrorBox';
import { StepCard, type StepActions } from './StepCard';
import { ActingOnly } from '../SignInHint';

/** Re-reads the install whenever its job moves on (phase, state) or a custody event for it lands. */
function useFollow(install: InstallView, jobId: string | null): void {
  const job = useJob(jobId);
  const phase = job ? `${job.state} ${job.phase} ${job.items.map((i) => i.state).join()}` : '';
  const lastEvent = useCustody((s) => s.events.find((e) => e.type.startsWith('install') || e.type === 'egress.checked')?.seq ?? 0);
  const { installId } = install;
  useEffect(() => {
    if (!jobId && lastEvent === 0) return;
    void refreshInstall(installId).catch(() => undefined);
  }, [installId, jobId, phase, lastEvent]);
}

/** Step 3: the planned steps, run all or one by one, with live progress. */
export function StepList({ install }: { install: InstallView }) {
  const jobId = useInstall((s) => s.jobId);
  const password = useInstall((s) => s.password);
  const job = useJob(jobId);
  const [error, setError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  useFollow(install, jobId);

  const busy = starting || job?.state === 'running' || install.steps.some((s) => s.state === 'running');
  const next = install.steps.find((s) => s.state !== 'done' && s.state !== 'skipped');
  const allDone = !next;
  const needsPassword = install.needsPassword && !password;

  const start = async (call: () => Promise<JobInfo>) => {
    setStarting(true);
    setError(null);
    try {
      const created = await call();
      useJobs.getState().seed(created);
      useInstall.getState().setJob(created.id);
    } catch (err) {
      setError(err);
    } finally {
      setStarting(false);
    }
  };
  const withPassword = password ? { password } : {};
  const actions: StepActions = {
    run: (stepId) => void start(() => api.invoke('install:run', { installId: install.installId, stepId, ...withPassword })),
    undo: (stepId) => void start(() => api.invoke('install:undo', { installId: install.installId, stepId })),
  };
  const runAll = () => void start(() => api.invoke('install:run', { installId: install.installId, ...withPassword }));
  const done = install.steps.filter((s) => s.state === 'done' || s.state === 'skipped').length;

  return (
    <section className="install-steps" aria-labelledby="install-steps-title">
      <div className="panel step-toolbar">
        <div className="panel-title">
          <h2 id="install-steps-title">3 · Steps</h2>
          <span className="muted" data-testid="install-steps-count">
            {done} of {install.steps.length} done
          </span>
        </div>
        <div className="form-actions">
          <ActingOnly to="run install steps">
            <button type="button" className="btn btn-primary" data-testid="install-run-all" disabled={busy || allDone || needsPassword} onClick={runAll}>
              {busy ? 'Running…' : next && next !== install.steps[0] && done > 0 ? `Run all from “${next.title}”` : 'Run all'}
            </button>
          </ActingOnly>
          <span className="muted">
            {allDone
              ? 'Every step is done.'
              : needsPassword
                ? 'Enter the registry password in Settings again: it is not kept across restarts.'
                : 'Runs from the first step not done and stops at a failure. Each step can also run alone.'}
          </span>
        </div>
        {error != null && <ErrorBox title="Could not start" error={toShape(error)} testId="install-run-error" />}
        {job?.state === 'failed' && job.error && !install.steps.some((s) => s.state === 'failed') && <ErrorBox title="The install job failed" error={job.error} testId="install-job-error" />}
      </div>
      <ol className="step-list">
        {install.steps.map((s, i) => (
          <li key={s.id}>
            <StepCard step={s} index={i} busy={busy} actions={actions} {...(s.state === 'running' && job ? { job } : {})} />
          </li>
        ))}
      </ol>
    </section>
  );
}
