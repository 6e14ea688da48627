import type { ReactNode } from 'react';
import { CopyButton } from './CopyButton';

/** Text to copy (a command, a config file) under a caption, with its Copy button. */
export function CommandBlock({ caption, value, copyLabel, copyTestId, testId }: { caption: ReactNode; value: string; copyLabel: string; copyTestId: string; testId: string }) {
  return (
    <div className="step-command">
      <div className="step-command-head">
        <span className="muted small">{caption}</span>
        <CopyButton value={value} label={copyLabel} testId={copyTestId} />
      </div>
      <pre className="mono command" data-testid={testId}>
        {value}
      </pre>
    </div>
  );
}
