import type { CustodyEvent } from '../../../shared/api';

export { isFailedCheck } from '../../../shared/custody-checks';

// How a custody event reads to a person: its details as labelled fields (never raw JSON), a mark
// when it is signed, and whether it records a check that failed.

const HEXISH = /^(sha256:)?[0-9a-f]{40,}$/i;
/** Labels for detail keys whose camelCase name reads badly. */
const LABELS: Record<string, string> = {
  dir: 'Folder',
  ok: 'Result',
  manifestSha256: 'Manifest SHA-256',
  sha256: 'SHA-256',
  bytes: 'Size',
  volumeIds: 'Volume ids',
};

export function label(key: string): string {
  if (LABELS[key]) return LABELS[key];
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_.-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function short(v: string): string {
  return HEXISH.test(v) ? `${v.slice(0, v.includes(':') ? 19 : 12)}…` : v;
}

function Value({ k, v }: { k: string; v: unknown }) {
  if (k === 'ok' && typeof v === 'boolean') return <span className={v ? 'field-ok' : 'field-bad'}>{v ? 'passed' : 'FAILED'}</span>;
  if (typeof v === 'string') return <span title={v.length > 40 ? v : undefined}>{short(v)}</span>;
  if (typeof v === 'number') return <span className="num">{k === 'bytes' ? `${v.toLocaleString()} bytes` : v.toLocaleString()}</span>;
  if (typeof v === 'boolean') return <span>{v ? 'yes' : 'no'}</span>;
  if (v === null || v === undefined) return <span className="muted">—</span>;
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== 'object' || x === null)) return <span>{v.map((x) => short(String(x))).join(', ') || '—'}</span>;
    return (
      <ol className="field-list">
        {v.map((x, i) => (
          <li key={i}>
            <Value k={k} v={x} />
          </li>
        ))}
      </ol>
    );
  }
  return <Fields details={v as Record<string, unknown>} nested />;
}

/** An event's details as a list of labelled fields. */
export function Fields({ details, nested }: { details: Record<string, unknown>; nested?: boolean }) {
  const entries = Object.entries(details ?? {});
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <dl className={`event-fields${nested ? ' event-fields-nested' : ''}`} data-testid={nested ? undefined : 'event-fields'}>
      {entries.map(([k, v]) => (
        <div key={k} className="event-field" data-key={k}>
          <dt>{label(k)}</dt>
          <dd>
            <Value k={k} v={v} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** A mark on signed events: who signed and with which key (full fingerprint in the tooltip). */
export function SignedMark({ e }: { e: Pick<CustodyEvent, 'signer' | 'signature' | 'actor'> }) {
  if (!e.signer || !e.signature) {
    return (
      <span className="sig sig-none muted" data-testid="event-unsigned" title="Recorded without a signature (by the station, not a signed-in identity).">
        unsigned
      </span>
    );
  }
  const fp = e.signer;
  return (
    <span className="sig sig-yes" data-testid="event-signed" title={`Signed by ${e.actor} with key ${fp}`}>
      <span aria-hidden="true">✔</span> signed <span className="muted">by {e.actor} · {fp.slice(0, 8)}…</span>
    </span>
  );
}
