import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { CreatedIdentity, CreateIdentityRequest, PublicKeyExport } from '../../../../shared/api-onboarding';
import type { IdentityView } from '../../../../shared/api-review';
import { api } from '../../api/client';
import { ErrorBox, toShape } from '../ErrorBox';
import { Field } from '../Field';
import { AdminLock } from './AdminLock';
import { downloadText } from './download';
import { EMPTY_PAIR, pairReady, PassphraseFields, type PassphrasePair } from './PassphraseFields';
import { useAction } from '../../state/useAction';
import { DataTable } from '../DataTable';

const ROLES: { value: CreateIdentityRequest['role']; hint: string }[] = [
  { value: 'operator', hint: 'creates bundles, writes media, imports and installs' },
  { value: 'reviewer', hint: 'reviews and approves or rejects bundles' },
  { value: 'admin', hint: 'administers the station: identities, keys, policy; may also review' },
  { value: 'auditor', hint: 'reads logs and reports; acts on nothing' },
];

/** The station's identities: export a public key (file or fingerprint to read aloud), and create new ones (admin). */
export function IdentitiesPanel({ mayAdminister, acting, onChange }: { mayAdminister: boolean; acting: { name: string; role: string } | null; onChange: () => void }) {
  const [list, setList] = useState<IdentityView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(() => {
    api.invoke('identity:list', {}).then(setList, setError);
  }, []);
  useEffect(reload, [reload]);
  return (
    <section className="panel" data-testid="settings-identities">
      <h2 className="panel-title">Identities</h2>
      <p className="muted">
        Each person has an identity with a role and an Ed25519 signing key, encrypted with their passphrase. To have another station trust a reviewer's approvals,
        give it the reviewer's public key file and read the fingerprint aloud to its admin, who compares it before pinning.
      </p>
      {error != null && <ErrorBox title="Identities" error={toShape(error)} />}
      <DataTable columns={['Name', 'Role', 'Created', 'Public key']}>
        {(list ?? []).map((i) => (
          <IdentityRow key={i.name} identity={i} />
        ))}
        {list?.length === 0 && (
          <tr>
            <td colSpan={4} className="empty">
              No identities yet.
            </td>
          </tr>
        )}
      </DataTable>
      <CreateIdentityForm
        mayAdminister={mayAdminister}
        acting={acting}
        onCreated={() => {
          reload();
          onChange();
        }}
      />
    </section>
  );
}

function IdentityRow({ identity }: { identity: IdentityView }) {
  const [exported, setExported] = useState<PublicKeyExport | null>(null);
  const [shown, setShown] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const load = async (): Promise<PublicKeyExport | null> => {
    setError(null);
    try {
      const e = exported ?? (await api.invoke('identity:publickey', { name: identity.name }));
      setExported(e);
      return e;
    } catch (err) {
      setError(err);
      return null;
    }
  };
  return (
    <>
      <tr data-testid="identity-row" data-name={identity.name}>
        <td>
          <strong>{identity.name}</strong>
        </td>
        <td>{identity.role}</td>
        <td className="nowrap num-left">{identity.createdAt}</td>
        <td>
          <div className="actions">
            <button
              type="button"
              className="btn btn-small"
              data-testid="identity-export-file"
              aria-label={`Download the public key file of ${identity.name}`}
              onClick={() => void load().then((e) => e && downloadText(e.fileName, e.text))}
            >
              Download .pub
            </button>
            <button
              type="button"
              className="btn btn-small"
              data-testid="identity-show-fingerprint"
              aria-expanded={shown}
              aria-label={`${shown ? 'Hide' : 'Show'} the fingerprint of ${identity.name}`}
              onClick={() => (shown ? setShown(false) : void load().then((e) => e && setShown(true)))}
            >
              {shown ? 'Hide fingerprint' : 'Fingerprint'}
            </button>
          </div>
        </td>
      </tr>
      {(shown && exported) || error != null ? (
        <tr>
          <td colSpan={4}>
            {shown && exported && (
              <div data-testid="identity-fingerprint-panel">
                <p className="muted">
                  Read this aloud to the admin who pins the key of {exported.name} ({exported.role}); they compare it group by group with what their screen shows:
                </p>
                <div className="fingerprint-readout" data-testid="identity-fingerprint">
                  {exported.display}
                </div>
              </div>
            )}
            {error != null && <ErrorBox title={`Public key of ${identity.name}`} error={toShape(error)} />}
          </td>
        </tr>
      ) : null}
    </>
  );
}

function CreateIdentityForm({ mayAdminister, acting, onCreated }: { mayAdminister: boolean; acting: { name: string; role: string } | null; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<CreateIdentityRequest['role']>('operator');
  const [pair, setPair] = useState<PassphrasePair>(EMPTY_PAIR);
  const { busy, error, run } = useAction();
  const [created, setCreated] = useState<CreatedIdentity | null>(null);
  const ready = mayAdminister && !busy && name.trim() !== '' && pairReady(pair, [name]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    setCreated(null);
    await run(async () => {
      setCreated(await api.invoke('identity:create', { name: name.trim(), role, passphrase: pair.first }));
      setName('');
      setRole('operator');
      onCreated();
    });
    setPair(EMPTY_PAIR);
  };
  return (
    <form className="form" onSubmit={submit} noValidate autoComplete="off" data-testid="identity-create-form">
      <h3>Create an identity</h3>
      <p className="muted">
        The new person sets their own passphrase: fill in the name and role, then hand them the keyboard to type their passphrase twice while you look away. Nobody
        else ever knows it, and it cannot be reset: a forgotten passphrase means creating a new identity (and pinning its key again).
      </p>
      {!mayAdminister && <AdminLock acting={acting} testId="identity-create-locked" />}
      <fieldset disabled={!mayAdminister || busy} className="plain-fieldset">
        <div className="form-grid">
          <Field label="Name" htmlFor="identity-create-name" hint='Letters, digits, ".", "_", "-" or "@".'>
            <input id="identity-create-name" data-testid="identity-create-name" spellCheck={false} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label="Role" htmlFor="identity-create-role" hint={ROLES.find((r) => r.value === role)?.hint}>
            <select id="identity-create-role" className="settings-select" data-testid="identity-create-role" value={role} onChange={(e) => setRole(e.target.value as CreateIdentityRequest['role'])}>
              {ROLES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.value}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <div style={{ marginTop: 12 }}>
          <PassphraseFields id="identity-create" value={pair} onChange={setPair} context={[name]} who={name.trim() || 'the new identity'} />
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" data-testid="identity-create-submit" disabled={!ready}>
            {busy ? 'Creating the key…' : 'Create identity'}
          </button>
        </div>
      </fieldset>
      {created && (
        <div className="alert alert-good" role="status" data-testid="identity-created">
          <div className="alert-title">
            Created {created.role} {created.name}
          </div>
          <div className="alert-message">
            Fingerprint <code className="mono fingerprint fingerprint-groups">{created.display}</code>. {created.name} can now sign in (top right) with their passphrase.
          </div>
        </div>
      )}
      {error != null && <ErrorBox title="The identity was not created" error={toShape(error)} testId="identity-create-error" />}
    </form>
  );
}
