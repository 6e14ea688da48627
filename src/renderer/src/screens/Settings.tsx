import { useEffect, useState, type FormEvent } from 'react';
import type { StationSettings, StoredCredential } from '../../../shared/api-settings';
import { api } from '../api/client';
import { ErrorBox, toShape } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { IdentitiesPanel } from '../components/settings/IdentitiesPanel';
import { PolicyPanel } from '../components/settings/PolicyPanel';
import { StationPanel } from '../components/settings/StationPanel';
import { useStationStatus } from '../components/settings/useStationStatus';
import { lines } from '../state/drafts';
import { useAction } from '../state/useAction';
import { DataTable } from '../components/DataTable';

const MIRROR_RE = /^[A-Za-z0-9.:[\]-]+=[^\s=]+$/;

function MirrorsPanel() {
  const [settings, setSettings] = useState<StationSettings | null>(null);
  const [text, setText] = useState('');
  const { busy: saving, error, setError, run } = useAction();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    api.invoke('settings:get', {}).then(
      (s) => {
        setSettings(s);
        setText(s.mirrors.join('\n'));
      },
      (err) => setError(err),
    );
  }, []);
  const mirrors = lines(text);
  const bad = mirrors.filter((m) => !MIRROR_RE.test(m));
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    await run(async () => {
      const s = await api.invoke('settings:set', { mirrors });
      setSettings(s);
      setText(s.mirrors.join('\n'));
      setSaved(true);
    });
  };
  return (
    <form className="panel form" onSubmit={save} noValidate data-testid="settings-mirrors-form">
      <h2 className="panel-title">Registry mirrors</h2>
      <p className="muted">
        Fetch a registry's images from a mirror instead. Bundle create and resolve use these when a request names no mirrors; <code>--mirror</code> on the command line
        replaces them for that run. The bundle keeps the source names.
      </p>
      <Field
        label="Mirrors"
        htmlFor="settings-mirrors"
        wide
        hint={bad.length ? <span className="text-bad">Not SOURCE=HOST[:PORT][/PREFIX]: {bad.join(', ')}</span> : 'One per line, SOURCE=HOST[:PORT][/PREFIX], e.g. registry.gitlab.com=127.0.0.1:5101'}
      >
        <textarea id="settings-mirrors" data-testid="settings-mirrors" rows={4} spellCheck={false} value={text} onChange={(e) => (setText(e.target.value), setSaved(false))} placeholder="docker.io=harbor.internal/dockerhub-proxy" />
      </Field>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="settings-mirrors-save" disabled={saving || bad.length > 0 || settings === null}>
          {saving ? 'Saving…' : 'Save mirrors'}
        </button>
        {saved && (
          <span className="text-good" data-testid="settings-mirrors-saved">
            Saved ({settings?.mirrors.length ?? 0} mirror{settings?.mirrors.length === 1 ? '' : 's'}).
          </span>
        )}
      </div>
      {error != null && <ErrorBox title="Could not save the mirrors" error={toShape(error)} testId="settings-mirrors-error" />}
      <h3>Proxy (from the environment, read-only)</h3>
      {settings && settings.proxy.length > 0 ? (
        <dl className="kv" data-testid="settings-proxy">
          {settings.proxy.map((p) => (
            <div key={p.name} className="kv-row">
              <dt className="mono">{p.name}</dt>
              <dd className="mono">{p.value}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <div className="muted" data-testid="settings-proxy">
          No HTTPS_PROXY, HTTP_PROXY or NO_PROXY set: Ferry connects directly. Set them in the environment Ferry starts in.
        </div>
      )}
    </form>
  );
}

function CredentialsPanel() {
  const [list, setList] = useState<StoredCredential[] | null>(null);
  const [registry, setRegistry] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, setError, run } = useAction();
  const refresh = () => api.invoke('credentials:list', {}).then(setList, setError);
  useEffect(() => {
    void refresh();
  }, []);
  const canSave = !busy && registry.trim() !== '' && username.trim() !== '' && password !== '';
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!canSave) return;
    await run(async () => {
      await api.invoke('credentials:set', { registry: registry.trim(), username: username.trim(), password });
      setRegistry('');
      setUsername('');
      await refresh();
    });
    setPassword('');
  };
  const remove = async (reg: string) => {
    setError(null);
    try {
      await api.invoke('credentials:remove', { registry: reg });
      await refresh();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="panel form" data-testid="settings-credentials">
      <h2 className="panel-title">Registry credentials</h2>
      <p className="muted">
        Entered once, used by resolve, bundle create and import for that registry when no login is given (before the Docker config file). Secrets are encrypted
        (AES-256-GCM) under a key in the station's data folder: a copied database alone does not reveal them, but anyone who can read the whole data folder can.
        Ferry never shows a stored secret again.
      </p>
      {list && list.length > 0 ? (
        <DataTable columns={['Registry', 'User', 'Updated', '']}>
          {list.map((c) => (
            <tr key={c.registry} data-testid="credential-row" data-registry={c.registry}>
              <td className="mono">{c.registry}</td>
              <td className="mono">{c.username}</td>
              <td className="num">{c.updatedAt}</td>
              <td>
                <button type="button" className="btn btn-small btn-danger" data-testid="credential-remove" onClick={() => void remove(c.registry)}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      ) : (
        <div className="muted">{list ? 'No stored credentials.' : 'Loading…'}</div>
      )}
      <form onSubmit={save} noValidate autoComplete="off">
        <div className="form-grid form-grid-3">
          <Field label="Registry" htmlFor="credential-registry" hint="HOST[:PORT], e.g. registry.internal:5000">
            <input id="credential-registry" data-testid="credential-registry" spellCheck={false} value={registry} onChange={(e) => setRegistry(e.target.value)} />
          </Field>
          <Field label="User name" htmlFor="credential-username">
            <input id="credential-username" data-testid="credential-username" spellCheck={false} autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />
          </Field>
          <Field label="Password or token" htmlFor="credential-password" hint="Not shown again once stored.">
            <input id="credential-password" data-testid="credential-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          </Field>
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" data-testid="credential-save" disabled={!canSave}>
            {busy ? 'Storing…' : 'Store credentials'}
          </button>
        </div>
      </form>
      {error != null && <ErrorBox title="Credentials" error={toShape(error)} testId="credential-error" />}
    </section>
  );
}

export function Settings() {
  const { status, error, reload, mayAdminister, acting } = useStationStatus();
  return (
    <div className="screen">
      <header className="screen-head">
        <h1>Settings</h1>
        <p className="lede">
          The station's name, its identities and approval policy (an admin changes these; each change is a signed custody event), where it fetches images from, and
          the registry logins it keeps.
        </p>
      </header>
      {error != null && <ErrorBox title="Could not read the station's setup" error={toShape(error)} />}
      <StationPanel station={status?.station} mayAdminister={mayAdminister} acting={acting} onChange={reload} />
      <IdentitiesPanel mayAdminister={mayAdminister} acting={acting} onChange={reload} />
      <PolicyPanel policy={status?.policy} mayAdminister={mayAdminister} acting={acting} onChange={reload} />
      <MirrorsPanel />
      <CredentialsPanel />
    </div>
  );
}
