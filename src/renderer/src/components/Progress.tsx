/** A determinate bar when the total is known, an animated stripe when it is not. */
export function Progress({
  done,
  total,
  tone = 'info',
  testId,
  slim,
}: {
  done: number;
  total: number;
  tone?: 'info' | 'good' | 'bad' | 'muted';
  testId?: string;
  slim?: boolean;
}) {
  const known = total > 0;
  const pct = known ? Math.min(100, Math.max(0, (done / total) * 100)) : 0;
  return (
    <div
      className={`progress progress-${tone}${slim ? ' progress-slim' : ''}${known ? '' : ' progress-unknown'}`}
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={known ? total : undefined}
      aria-valuenow={known ? done : undefined}
      data-testid={testId}
    >
      <div className="progress-fill" style={{ width: known ? `${pct}%` : undefined }} />
    </div>
  );
}

export function percent(done: number, total: number): string {
  if (total <= 0) return '—';
  const p = (done / total) * 100;
  return `${p >= 99.95 && done < total ? '99.9' : p.toFixed(p < 10 ? 1 : 0)}%`;
}
