import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { TrustedKeyView } from '../../../shared/api-review';
import { api } from '../api/client';
import { Badge } from '../components/Badge';
import { ErrorBox, toShape } from '../components/ErrorBox';
import { Field } from '../components/Field';

/** Reviewer keys pinned on this station: pin one after confirming its fingerprint, or revoke one. */
export function Trust() {
  const [keys, setKeys] = useState<TrustedKeyView[]>([]);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(() => {
    api.invoke('trust:list', {}).then(setKeys, setError);
  }, []);
  useEffect(reload, [reload]);
  return (
    <div className="screen">
      <header className="screen-head">
        <h1>Trusted keys</h1>
        <p className="lede">Approvals count on this station only when signed by a pinned, unrevoked reviewer key. Once an admin exists, an admin must be logged in.</p>
      </header>
      <PinForm onPinned={reload} />
      {error !== null && <ErrorBox error={toShape(error)} />}
      <section className="panel panel-flush">
        <table className="table" data-testid="trust-keys">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Fingerprint</th>
              <th>Pinned</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <KeyRow key={k.fingerprint} k={k} onChange={reload} />
            ))}
            {keys.length === 0 && (
              <tr>
                <td colSpan={6} className="empty">
                  No keys pinned: import does not require approvals until one is (policy auto).
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function KeyRow({ k, onChange }: { k: TrustedKeyView; onChange: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const revoke = async () => {
    setError(null);
    try {
      await api.invoke('trust:revoke', { fingerprint: k.fingerprint, reason });
      onChange();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <tr data-testid="trust-key" data-fingerprint={k.fingerprint}>
      <td>{k.name}</td>
      <td>{k.role}</td>
      <td>
        <code className="mono fingerprint">{k.display}</code>
      </td>
      <td className="nowrap">
        {k.pinnedAt} <span className="muted">by {k.pinnedBy}</span>
      </td>
      <td>{k.revokedAt ? <Badge state="bad">revoked</Badge> : <Badge state="ok">pinned</Badge>}</td>
      <td>
        {k.revokedAt ? (
          <span className="muted">{k.revokeReason}</span>
        ) : (
          <span className="inline-form">
            <input aria-label={`Reason to revoke ${k.name}`} placeholder="reason" value={reason} onChange={(e) => setReason(e.target.value)} />
            <button type="button" className="btn btn-danger btn-small" disabled={!reason.trim()} onClick={() => void revoke()}>
              Revoke
            </button>
          </span>
        )}
        {error !== null && <ErrorBox error={toShape(error)} />}
      </td>
    </tr>
  );
}

function PinForm({ onPinned }: { onPinned: () => void }) {
  const [path, setPath] = useState('');
  const [candidate, setCandidate] = useState<TrustedKeyView | null>(null);
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<TrustedKeyView | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    try {
      const r = await api.invoke('trust:add', { path: path.trim(), ...(candidate ? { confirm } : {}) });
      if (r.pinned) {
        setDone(r.key);
        setCandidate(null);
        setConfirm('');
        setPath('');
        onPinned();
      } else setCandidate(r.candidate);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="panel form" onSubmit={submit}>
      <div className="form-row">
        <Field label="Public key file" htmlFor="trust-path" hint='From "ferry identity export-public NAME" on the reviewer&apos;s station (or an Ed25519 PEM).'>
          <input id="trust-path" data-testid="trust-path" value={path} spellCheck={false} onChange={(e) => (setPath(e.target.value), setCandidate(null))} />
        </Field>
        {!candidate && (
          <button className="btn" type="submit" data-testid="trust-show" disabled={!path.trim()}>
            Show fingerprint
          </button>
        )}
      </div>
      {candidate && (
        <div className="gate-card" data-testid="trust-candidate">
          <p>
            Key of <strong>{candidate.name}</strong> ({candidate.role}). Compare this fingerprint with its owner over a trusted channel (phone, in person), then type it below:
          </p>
          <p>
            <code className="mono fingerprint" data-testid="trust-fingerprint">{candidate.display}</code>
          </p>
          <div className="form-row">
            <Field label="Confirm fingerprint" htmlFor="trust-confirm">
              <input id="trust-confirm" data-testid="trust-confirm" value={confirm} spellCheck={false} autoComplete="off" onChange={(e) => setConfirm(e.target.value)} />
            </Field>
            <button className="btn btn-primary" type="submit" data-testid="trust-pin" disabled={!confirm.trim()}>
              Pin key
            </button>
          </div>
        </div>
      )}
      {done && (
        <div className="alert alert-good" role="status">
          <div className="alert-title">Pinned {done.name}</div>
          <div className="alert-message">{done.display}</div>
        </div>
      )}
      {error !== null && <ErrorBox error={toShape(error)} />}
    </form>
  );
}
