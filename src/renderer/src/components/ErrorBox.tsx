import type { ErrorShape } from '../../../shared/api';

export function toShape(err: unknown): ErrorShape {
  if (err instanceof Error) {
    const hint = (err as { hint?: unknown }).hint;
    return { name: err.name, message: err.message, ...(typeof hint === 'string' ? { hint } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

/** An error as the user should read it: what happened, and what to do about it. */
export function ErrorBox({ error, title, testId }: { error: ErrorShape; title?: string; testId?: string }) {
  return (
    <div className="alert alert-bad" role="alert" data-testid={testId}>
      <div className="alert-title">
        {title ?? 'Error'}
        {error.name && !['Error', 'FerryError'].includes(error.name) && <span className="alert-kind">{error.name}</span>}
      </div>
      <div className="alert-message">{error.message}</div>
      {error.hint && <div className="alert-hint">{error.hint}</div>}
    </div>
  );
}
