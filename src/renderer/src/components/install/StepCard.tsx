import type { JobInfo } from '../../../../shared/api';
import type { InstallStepState, InstallStepView } from '../../../../shared/api-install';
import { formatBytes, formatRate } from '../../../../shared/format';
import { Badge } from '../Badge';
import { ErrorBox } from '../ErrorBox';
import { JobItems } from '../JobItems';
import { Progress, percent } from '../Progress';
import { clock, duration } from '../time';
import { StepResult } from './StepResult';
import { CommandBlock } from './CommandBlock';

const BADGE: Record<InstallStepState, 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'neutral'> = {
  pending: 'pending',
  running: 'running',
  done: 'done',
  failed: 'failed',
  undone: 'neutral',
  skipped: 'skipped',
};
/** Steps that move bytes: their live progress shows size, rate and per-item bars. */
const TRANSFER = new Set(['push', 'models', 'verify']);

function Live({ job, kind }: { job: JobInfo; kind: string }) {
  return (
    <div className="step-live" data-testid="step-progress">
      <div className="job-progress">
        <Progress done={job.bytesDone} total={job.bytesTotal} />
        <span className="job-pct num">{percent(job.bytesDone, job.bytesTotal)}</span>
      </div>
      <div className="muted small">
        {job.phase}
        {job.bytesTotal > 0 && ` · ${formatBytes(job.bytesDone)} of ${formatBytes(job.bytesTotal)}`}
        {job.rate > 0 && ` · ${formatRate(job.rate)}`}
      </div>
      {TRANSFER.has(kind) && <JobItems items={job.items} />}
    </div>
  );
}

export interface StepActions {
  run(stepId: string): void;
  undo(stepId: string): void;
}

/**
 * One install step: what it does and the equivalent command BEFORE it runs, then its state,
 * live progress, log tail, error with the hint, and result; Run / Re-run / Undo.
 */
export function StepCard({ step, index, job, busy, actions }: { step: InstallStepView; index: number; job?: JobInfo; busy: boolean; actions: StepActions }) {
  const ran = step.state === 'done' || step.state === 'failed';
  const runLabel = ran || step.state === 'undone' ? 'Re-run' : 'Run';
  const titleId = `step-title-${step.id}`;
  return (
    <article className={`panel step-card step-${step.state}`} data-testid={`step-${step.id}`} data-state={step.state} aria-labelledby={titleId}>
      <header className="step-head">
        <span className="step-index num">{index + 1}</span>
        <div className="step-title">
          <h2 id={titleId}>{step.title}</h2>
          <div className="muted small">
            <code className="mono">{step.id}</code>
            {step.startedAt && <span title={step.startedAt}> · started {clock(step.startedAt)}</span>}
            {step.startedAt && step.finishedAt && <span title={step.finishedAt}> · took {duration(step.startedAt, step.finishedAt)}</span>}
          </div>
        </div>
        <Badge state={BADGE[step.state]} testId="step-state">
          {step.state}
        </Badge>
        <div className="step-buttons">
          <button type="button" className="btn btn-small" aria-label={`${runLabel} ${step.title}`} data-testid="step-run" disabled={busy} onClick={() => actions.run(step.id)}>
            {runLabel}
          </button>
          {step.undoable && (
            <button type="button" className="btn btn-small btn-danger" aria-label={`Undo ${step.title}`} data-testid="step-undo" disabled={busy || !ran} onClick={() => actions.undo(step.id)}>
              Undo
            </button>
          )}
        </div>
      </header>
      <p className="step-desc">{step.description}</p>
      {step.command && (
        <CommandBlock caption="Equivalent command" value={step.command} copyLabel={`command for ${step.title}`} copyTestId="step-copy-command" testId="step-command" />
      )}
      {step.state === 'running' && job && <Live job={job} kind={step.kind} />}
      {step.error && <ErrorBox title={`${step.title} failed`} error={{ name: 'Error', message: step.error.message, ...(step.error.hint ? { hint: step.error.hint } : {}) }} testId="step-error" />}
      {step.result && step.kind !== 'agent-config' && step.kind !== 'outputs' && <StepResult result={step.result} />}
      {step.state === 'done' && (step.kind === 'outputs' || step.kind === 'agent-config') && <p className="muted small">Shown under Finish, below.</p>}
      {step.log.length > 0 && (
        <details className="step-log" open={step.state === 'failed'}>
          <summary>Log (last {step.log.length} lines)</summary>
          <pre className="mono log" data-testid="step-log">
            {step.log.join('\n')}
          </pre>
        </details>
      )}
    </article>
  );
}
