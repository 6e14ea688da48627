import { shortDigest } from '../../../shared/format';

/** A digest or hash, shortened, with the full value on hover and for copy. */
export function Digest({ value, testId }: { value: string | null | undefined; testId?: string }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <code className="mono" title={value} data-testid={testId}>
      {shortDigest(value)}
    </code>
  );
}

/** A bundle id (or any long id), cut to its first characters. */
export function ShortId({ value, n = 12 }: { value: string | null | undefined; n?: number }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <code className="mono" title={value}>
      {value.length > n ? `${value.slice(0, n)}…` : value}
    </code>
  );
}

export function Path({ value }: { value: string }) {
  return (
    <code className="mono path" title={value}>
      {value}
    </code>
  );
}
