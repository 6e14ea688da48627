import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { JobInfo } from '../../../shared/api';
import { formatBytes, formatEta, formatRate } from '../../../shared/format';
import { api } from '../api/client';
import { useJob } from '../state/jobs';
import { Badge } from './Badge';
import { ErrorBox, toShape } from './ErrorBox';
import { JobItems } from './JobItems';
import { Progress, percent } from './Progress';
import { clock, duration } from './time';

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

function Outcome({ job }: { job: JobInfo }) {
  if (job.state === 'failed') {
    return <ErrorBox title="Job failed" error={job.error ?? { name: 'Error', message: 'No reason given.' }} testId="job-error" />;
  }
  if (job.state === 'canceled') {
    return (
      <div className="alert alert-muted">
        <div className="alert-title">Canceled</div>
        <div className="alert-message">
          Canceled{job.finishedAt ? ` at ${clock(job.finishedAt)}` : ''} during “{job.phase}”. The job did not complete;
          treat any output it left as incomplete.
        </div>
      </div>
    );
  }
  return null;
}

/** Live view of one job: overall progress, items, cancel, and how it ended. */
export function JobPanel({ jobId, result }: { jobId: string; result?: (job: JobInfo) => ReactNode }) {
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
        <Badge state={job.state} testId="job-state" />
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
      <Outcome job={job} />
      {job.result != null && result?.(job)}
      <JobItems items={job.items} />
    </section>
  );
}
