import type { JobItem, JobState } from '../../../shared/api';

type Tone = JobState | JobItem['state'] | 'ok' | 'bad' | 'neutral';

const TONE: Record<Tone, string> = {
  running: 'info',
  succeeded: 'good',
  failed: 'bad',
  canceled: 'muted',
  pending: 'muted',
  done: 'good',
  skipped: 'muted',
  ok: 'good',
  bad: 'bad',
  neutral: 'muted',
};

/** A state badge. Its text is exactly the state, so tests can read it. */
export function Badge({ state, testId, children }: { state: Tone; testId?: string; children?: string }) {
  return (
    <span className={`badge badge-${TONE[state]}`} data-testid={testId} data-state={state}>
      {children ?? state}
    </span>
  );
}
