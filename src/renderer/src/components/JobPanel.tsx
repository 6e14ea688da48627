import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { JobInfo } from '../../../shared/api';
import { formatBytes, formatEta, formatRate } from '../../../shared/format';
import { api } from '../api/client';
import { useJob, useJobs } from '../state/jobs';
import { Badge } from './Badge';
import { ErrorBox, toShape } from './ErrorBox';
import { JobItems } from './JobItems';
import { Progress, percent } from './Progress';
import { clock, duration } from './time';
import { jobVerdict } from './verdict';
import { openJob } from './JobList';
import { canRerun } from '../../../shared/job-rerun';

const TONE = { running: 'info', succeeded: 'good', failed: 'bad', canceled: 'muted' } as const;

function Stats({ job }: { job: JobInfo }) {
  const running = job.state === 'running';
  const eta = running ? formatEta(job.bytesTotal - job.bytesDone, job.rate) : '';
  return (
    <dl className="stats">
      <div>
        <dt>Processed</dt>
        <dd className="num">
          {formatBytes(job.bytesDone)}
          {job.bytesTotal > 0 && <span className="muted"> of {formatBytes(job.bytesTotal)}</span>}
        </dd>
      </div>
      {running && (
        <div>
          <dt>Rate</dt>
          <dd className="num">{job.rate > 0 ? formatRate(job.rate) : '—'}</dd>
        </div>
      )}
      {running && (
        <div>
          <dt>ETA</dt>
          <dd className="num">{eta || '—'}</dd>
        </div>
      )}
      <div>
        <dt>Started</dt>
        <dd className="num" title={job.createdAt}>
          {clock(job.createdAt)}
        </dd>
      </div>
      {job.finishedAt && (
        <div>
          <dt>Took</dt>
          <dd className="num" title={job.finishedAt}>
            {duration(job.createdAt, job.finishedAt)}
          </dd>
        </div>
      )}
    </dl>
  );
}

function Outcome({ job, onRerun }: { job: JobInfo; onRerun?: (newJobId: string) => void }) {
  const [rerunError, setRerunError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  const rerun = async () => {
    setStarting(true);
    setRerunError(null);
    try {
      const again = await api.invoke('job:rerun', { id: job.id });
      useJobs.getState().seed(again);
      // The screen follows the new job: through its own callback, else through its draft.
      if (onRerun) onRerun(again.id);
      else openJob(again);
    } catch (err) {
      setRerunError(err);
    } finally {
      setStarting(false);
    }
  };
  const again = canRerun(job) && (
    <button type="button" className="btn btn-primary" data-testid="job-resume" onClick={() => void rerun()} disabled={starting}>
      {starting ? 'Starting…' : job.state === 'canceled' ? 'Resume' : 'Run again'}
    </button>
  );
  const failedToRerun = rerunError != null && <ErrorBox title="Could not run it again" error={toShape(rerunError)} testId="job-resume-error" />;
  if (job.state === 'failed') {
    return (
      <>
        <ErrorBox title="Job failed" error={job.error ?? { name: 'Error', message: 'No reason given.' }} testId="job-error" />
        {again && <div className="form-actions">{again}</div>}
        {failedToRerun}
      </>
    );
  }
  if (job.state === 'canceled') {
    const items = job.items.filter((i) => i.state === 'done' || i.state === 'skipped').length;
    return (
      <div className="alert alert-muted" data-testid="job-canceled">
        <div className="alert-title">Canceled — run again to resume</div>
        <div className="alert-message">
          Canceled{job.finishedAt ? ` at ${clock(job.finishedAt)}` : ''} during “{job.phase}”. The job did not complete; treat any output it
          left as incomplete.
          {canRerun(job) && ` Running it again resumes from what is already on disk${items ? ` (${items} of ${job.items.length} item(s) were finished)` : ''}.`}
        </div>
        {again && <div className="form-actions">{again}</div>}
        {failedToRerun}
      </div>
    );
  }
  return null;
}

/** Live view of one job: overall progress, items, cancel, and how it ended. */
export function JobPanel({ jobId, result, onRerun }: { jobId: string; result?: (job: JobInfo) => ReactNode; onRerun?: (newJobId: string) => void }) {
  const job = useJob(jobId);
  const [cancelError, setCancelError] = useState<unknown>(null);
  const [canceling, setCanceling] = useState(false);
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [jobId]);
  if (!job) {
    return (
      <section className="panel job-panel" data-testid="job-panel" ref={ref}>
        <div className="muted">Waiting for job {jobId}…</div>
      </section>
    );
  }
  const verdict = jobVerdict(job);
  const cancel = async () => {
    setCanceling(true);
    setCancelError(null);
    try {
      await api.invoke('job:cancel', { id: job.id });
    } catch (err) {
      setCancelError(err);
    } finally {
      setCanceling(false);
    }
  };
  return (
    <section className={`panel job-panel job-${job.state}`} data-testid="job-panel" data-job-id={job.id} data-kind={job.kind} ref={ref}>
      <header className="job-head">
        <div className="job-title">
          <h2>{job.title}</h2>
          <div className="job-sub">
            <span className="muted">Phase</span> <span data-testid="job-phase">{job.phase || '—'}</span>
            <span className="sep">·</span>
            <span className="muted">Job</span> <code className="mono">{job.id}</code>
          </div>
        </div>
        <Badge state={verdict.tone} testId="job-state">
          {verdict.text}
        </Badge>
        {job.state === 'running' && (
          <button type="button" className="btn btn-danger" data-testid="job-cancel" onClick={cancel} disabled={canceling}>
            {canceling ? 'Canceling…' : 'Cancel'}
          </button>
        )}
      </header>
      <div className="job-progress" data-testid="job-progress">
        <Progress done={job.bytesDone} total={job.bytesTotal} tone={TONE[job.state]} />
        <span className="job-pct num">{percent(job.bytesDone, job.bytesTotal)}</span>
      </div>
      <Stats job={job} />
      {cancelError != null && <ErrorBox title="Could not cancel" error={toShape(cancelError)} />}
      <Outcome job={job} onRerun={onRerun} />
      {job.result != null && result?.(job)}
      <JobItems items={job.items} />
    </section>
  );
}
