import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { TrustedKeyView } from '../../../shared/api-review';
import { api } from '../api/client';
import { Badge } from '../components/Badge';
import { ErrorBox, toShape } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { stamp } from '../components/time';
import { AdminLock } from '../components/settings/AdminLock';
import '../components/settings/settings.css';
import { useStationStatus } from '../components/settings/useStationStatus';
import { useAction } from '../state/useAction';
import { DataTable } from '../components/DataTable';

type Acting = { name: string; role: string } | null;

/** Reviewer keys pinned on this station: pin one after confirming its fingerprint, or revoke one. */
export function Trust() {
  const [keys, setKeys] = useState<TrustedKeyView[]>([]);
  const [error, setError] = useState<unknown>(null);
  const { status, reload: reloadStatus, mayAdminister, acting } = useStationStatus();
  const reload = useCallback(() => {
    api.invoke('trust:list', {}).then(setKeys, setError);
    reloadStatus();
  }, [reloadStatus]);
  useEffect(reload, [reload]);
  const policy = status?.policy;
  return (
    <div className="screen">
      <header className="screen-head">
        <h1>Trusted keys</h1>
        <p className="lede">
          Approvals count on this station only when signed by a pinned, unrevoked reviewer key. Pin a key only after comparing its fingerprint with its owner over a
          channel you trust (in person, by phone). Pinning and revoking need an admin, and are signed custody events.
        </p>
        {policy && (
          <p className="muted" data-testid="trust-policy">
            Import {policy.requireApprovals ? 'requires' : 'does not require'} approvals ({policy.mode}); {policy.requiredApprovals} distinct reviewer
            {policy.requiredApprovals === 1 ? '' : 's'} per bundle. Change it in Settings.
          </p>
        )}
      </header>
      {!mayAdminister && <AdminLock acting={acting} testId="trust-locked" />}
      <PinForm onPinned={reload} disabled={!mayAdminister} />
      {error !== null && <ErrorBox title="Could not list the pinned keys" error={toShape(error)} />}
      <section className="panel panel-flush">
        <DataTable testId="trust-keys" columns={['Name', 'Role', 'Fingerprint', 'Pinned', 'State', { label: <span className="visually-hidden">Revoke</span> }]}>
          {keys.map((k) => (
            <KeyRow key={k.fingerprint} k={k} onChange={reload} disabled={!mayAdminister} acting={acting} />
          ))}
          {keys.length === 0 && (
            <tr>
              <td colSpan={6} className="empty">
                No keys pinned: import does not require approvals until one is (unless the policy says always).
              </td>
            </tr>
          )}
        </DataTable>
      </section>
    </div>
  );
}

function KeyRow({ k, onChange, disabled, acting }: { k: TrustedKeyView; onChange: () => void; disabled: boolean; acting: Acting }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const revoke = async () => {
    setError(null);
    try {
      await api.invoke('trust:revoke', { fingerprint: k.fingerprint, reason: reason.trim() });
      onChange();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <tr data-testid="trust-key" data-fingerprint={k.fingerprint} data-name={k.name}>
      <td>{k.name}</td>
      <td>{k.role}</td>
      <td>
        <code className="mono fingerprint fingerprint-groups">{k.display}</code>
      </td>
      <td>
        <span title={k.pinnedAt}>{k.pinnedAt ? stamp(k.pinnedAt) : '—'}</span> <span className="muted">by {k.pinnedBy}</span>
      </td>
      <td>{k.revokedAt ? <Badge state="bad" testId="trust-state">revoked</Badge> : <Badge state="ok" testId="trust-state">pinned</Badge>}</td>
      <td className={k.revokedAt ? undefined : 'revoke-cell'}>
        {k.revokedAt ? (
          <span className="muted">
            {k.revokedAt}: {k.revokeReason || 'no reason given'}
          </span>
        ) : (
          <span className="inline-form">
            <input
              aria-label={`Reason to revoke the key of ${k.name}`}
              data-testid="trust-revoke-reason"
              className="revoke-reason"
              placeholder="reason (recorded)"
              value={reason}
              disabled={disabled}
              title={disabled ? `${acting ? `${acting.name} is not an admin` : 'Nobody is signed in'}: sign in as an admin to revoke.` : undefined}
              onChange={(e) => setReason(e.target.value)}
            />
            <button type="button" className="btn btn-danger btn-small" data-testid="trust-revoke" disabled={disabled || !reason.trim()} onClick={() => void revoke()}>
              Revoke
            </button>
          </span>
        )}
        {error !== null && <ErrorBox title={`The key of ${k.name} was not revoked`} error={toShape(error)} testId="trust-revoke-error" />}
      </td>
    </tr>
  );
}

function PinForm({ onPinned, disabled }: { onPinned: () => void; disabled: boolean }) {
  const [path, setPath] = useState('');
  const [owner, setOwner] = useState('');
  const [role, setRole] = useState('');
  const [candidate, setCandidate] = useState<TrustedKeyView | null>(null);
  const [confirm, setConfirm] = useState('');
  const { busy, error, run } = useAction();
  const [done, setDone] = useState<TrustedKeyView | null>(null);
  const reset = () => {
    setCandidate(null);
    setConfirm('');
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    await run(async () => {
      const r = await api.invoke('trust:add', { path: path.trim(), ...(owner.trim() ? { name: owner.trim() } : {}), ...(role ? { role } : {}), ...(candidate ? { confirm } : {}) });
      if (r.pinned) {
        setDone(r.key);
        reset();
        setPath('');
        setOwner('');
        setRole('');
        onPinned();
      } else setCandidate(r.candidate);
    });
  };
  return (
    <form className="panel form" onSubmit={submit} noValidate data-testid="trust-pin-form">
      <h2 className="panel-title">Pin a key</h2>
      <fieldset className="plain-fieldset" disabled={disabled || busy}>
        <div className="form-grid form-grid-3">
          <Field
            label="Public key file"
            htmlFor="trust-path"
            hint="A path on the computer running Ferry, e.g. /media/usb/rita.pub: the file Settings → Identities → Download .pub (or ferry identity export-public) wrote, or an Ed25519 PEM."
          >
            <input id="trust-path" data-testid="trust-path" value={path} spellCheck={false} onChange={(e) => (setPath(e.target.value), reset())} />
          </Field>
          <Field label="Owner (optional)" htmlFor="trust-name" hint="Needed for a PEM key; else the file's name.">
            <input id="trust-name" data-testid="trust-name" value={owner} spellCheck={false} onChange={(e) => (setOwner(e.target.value), reset())} />
          </Field>
          <Field label="Pin as" htmlFor="trust-role" hint="Default: the role in the file (reviewer for a PEM).">
            <select id="trust-role" className="settings-select" data-testid="trust-role" value={role} onChange={(e) => (setRole(e.target.value), reset())}>
              <option value="">as the file says</option>
              <option value="reviewer">reviewer</option>
              <option value="admin">admin</option>
            </select>
          </Field>
        </div>
        {!candidate && (
          <div className="form-actions">
            <button className="btn" type="submit" data-testid="trust-show" disabled={!path.trim()}>
              {busy ? 'Reading…' : 'Show fingerprint'}
            </button>
          </div>
        )}
      </fieldset>
      {candidate && (
        <div className="panel" data-testid="trust-candidate" style={{ marginTop: 12 }}>
          <p>
            Key of <strong data-testid="trust-candidate-name">{candidate.name}</strong> ({candidate.role}). Ask {candidate.name} to read their fingerprint aloud
            (Settings → Identities → Fingerprint on their station) and compare it group by group with this one:
          </p>
          <div className="fingerprint-readout" data-testid="trust-fingerprint">
            {candidate.display}
          </div>
          <fieldset className="plain-fieldset" disabled={disabled || busy}>
            <div className="form-row">
              <Field label="Confirm fingerprint" htmlFor="trust-confirm" hint="Type or paste the fingerprint as its owner read it; spaces and the SHA256: prefix are optional. Nothing is pinned unless it matches.">
                <input id="trust-confirm" data-testid="trust-confirm" value={confirm} spellCheck={false} autoComplete="off" onChange={(e) => setConfirm(e.target.value)} />
              </Field>
              <button className="btn btn-primary" type="submit" data-testid="trust-pin" disabled={!confirm.trim()}>
                {busy ? 'Pinning…' : 'Pin key'}
              </button>
              <button className="btn" type="button" data-testid="trust-cancel" onClick={reset}>
                Cancel
              </button>
            </div>
          </fieldset>
        </div>
      )}
      {done && (
        <div className="alert alert-good" role="status" data-testid="trust-pinned">
          <div className="alert-title">
            Pinned {done.name} ({done.role})
          </div>
          <div className="alert-message">
            <code className="mono fingerprint fingerprint-groups">{done.display}</code>: its approvals now count on this station.
          </div>
        </div>
      )}
      {error !== null && <ErrorBox title="Not pinned" error={toShape(error)} testId="trust-error" />}
    </form>
  );
}
