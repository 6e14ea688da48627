import { useEffect, useState, type FormEvent } from 'react';
import type { IdentityView } from '../../../shared/api-review';
import { api } from '../api/client';
import { startSessionPoll, useSession } from '../state/session';
import { ErrorBox, toShape } from './ErrorBox';
import { Dialog } from './Dialog';
import { Field } from './Field';

/** Top-bar control: who acts and signs in this window/tab; log in (name + passphrase) or out. */
export function LoginControl() {
  const session = useSession((s) => s.session);
  const [open, setOpen] = useState(false);
  useEffect(() => startSessionPoll(), []);
  const acting = session?.acting;
  const logout = async () => useSession.getState().set(await api.invoke('identity:logout', {}));
  return (
    <span className="fact login-control">
      <span className="fact-label">Signed in</span>
      {acting ? (
        <>
          <span className="fact-value" data-testid="session-name" title={`${acting.role} · locks after ${session!.lockAfterMinutes} min idle`}>
            {acting.name} ({acting.role})
          </span>
          <button type="button" className="btn btn-small" data-testid="logout" onClick={() => void logout()}>
            Log out
          </button>
        </>
      ) : (
        <>
          <span className="fact-value muted" data-testid="session-none">nobody (read only)</span>
          <button type="button" className="btn btn-small" data-testid="login-open" aria-haspopup="dialog" onClick={() => setOpen(true)}>
            Log in
          </button>
        </>
      )}
      {open && <LoginDialog onClose={() => setOpen(false)} />}
    </span>
  );
}

function LoginDialog({ onClose }: { onClose: () => void }) {
  const [ids, setIds] = useState<IdentityView[] | null>(null);
  const [name, setName] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.invoke('identity:list', {}).then(
      (list) => {
        setIds(list);
        setName((n) => n || list[0]?.name || '');
      },
      (err: unknown) => setError(err),
    );
  }, []);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      useSession.getState().set(await api.invoke('identity:login', { name, passphrase }));
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setPassphrase('');
      setBusy(false);
    }
  };
  return (
    <Dialog title="Log in" onClose={onClose} testId="login-dialog" returnFocus={() => document.querySelector<HTMLElement>('[data-testid="logout"], [data-testid="login-open"]')}>
      <form className="form" onSubmit={submit}>
        <p className="muted">Unlocks your signing key for this window only, until you log out or it locks after inactivity. Everything you do here is recorded and signed as you.</p>
        {ids && ids.length === 0 && <p className="notice">No identities on this station yet: create one with <code>ferry identity create</code>.</p>}
        <Field label="Identity" htmlFor="login-name">
          <select id="login-name" data-testid="login-name" value={name} onChange={(e) => setName(e.target.value)}>
            {(ids ?? []).map((i) => (
              <option key={i.name} value={i.name}>
                {i.name} ({i.role})
              </option>
            ))}
          </select>
        </Field>
        <Field label="Passphrase" htmlFor="login-passphrase">
          <input id="login-passphrase" data-testid="login-passphrase" data-autofocus type="password" autoComplete="current-password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
        </Field>
        {error !== null && <ErrorBox error={toShape(error)} testId="login-error" />}
        <div className="form-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" data-testid="login-submit" disabled={busy || !name || !passphrase}>
            {busy ? 'Unlocking…' : 'Log in'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
