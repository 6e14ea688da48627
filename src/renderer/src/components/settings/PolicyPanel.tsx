import { useEffect, useState, type FormEvent } from 'react';
import type { PolicyView } from '../../../../shared/api-onboarding';
import { api } from '../../api/client';
import { ErrorBox, toShape } from '../ErrorBox';
import { AdminLock } from './AdminLock';
import { useAction } from '../../state/useAction';

const MODES: { value: PolicyView['mode']; label: string; hint: string }[] = [
  { value: 'auto', label: 'Once a key is pinned', hint: 'Import needs approvals as soon as any reviewer key has been pinned on this station (default).' },
  { value: 'on', label: 'Always', hint: 'Import always needs approvals.' },
  { value: 'off', label: 'Never', hint: 'Import does not check approvals (not recommended).' },
];

/** How many distinct pinned reviewers an import needs, and whether approvals are required at all (`ferry trust policy`). */
export function PolicyPanel({ policy, mayAdminister, acting, onChange }: { policy: PolicyView | undefined; mayAdminister: boolean; acting: { name: string; role: string } | null; onChange: () => void }) {
  const [required, setRequired] = useState<1 | 2>(1);
  const [mode, setMode] = useState<PolicyView['mode']>('auto');
  // Whether approving needs a clean antivirus result: a station setting (settings:get|set), saved with the policy.
  const [avStored, setAvStored] = useState<boolean | null>(null);
  const [av, setAv] = useState(true);
  useEffect(() => {
    api.invoke('settings:get', {}).then(
      (st) => {
        setAvStored(st.requireCleanAntivirus);
        setAv(st.requireCleanAntivirus);
      },
      () => setAvStored(null),
    );
  }, []);
  const { busy, error, run } = useAction();
  const [saved, setSaved] = useState<PolicyView | null>(null);
  useEffect(() => {
    if (!policy) return;
    setRequired(policy.requiredApprovals === 2 ? 2 : 1);
    setMode(policy.mode);
  }, [policy]);
  const policyChanged = policy !== undefined && (required !== policy.requiredApprovals || mode !== policy.mode);
  const avChanged = avStored !== null && av !== avStored;
  const changed = policyChanged || avChanged;
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    await run(async () => {
      if (avChanged) setAvStored((await api.invoke('settings:set', { requireCleanAntivirus: av })).requireCleanAntivirus);
      setSaved(policyChanged ? await api.invoke('policy:set', { requiredApprovals: required, requireApprovals: mode }) : (policy ?? null));
      onChange();
    });
  };
  return (
    <form className="panel form" onSubmit={save} noValidate data-testid="settings-policy">
      <h2 className="panel-title">Approval policy</h2>
      <p className="muted">
        What the import gate on this station demands: approvals signed by pinned, unrevoked reviewer keys, from distinct reviewers, none by the bundle's creator.
      </p>
      {policy && (
        <p data-testid="settings-policy-current">
          Now: {policy.requireApprovals ? 'approvals required' : 'approvals not required'} ({MODES.find((m) => m.value === policy.mode)?.label.toLowerCase()}),{' '}
          {policy.requiredApprovals} distinct reviewer{policy.requiredApprovals === 1 ? '' : 's'} per bundle.
        </p>
      )}
      {!mayAdminister && <AdminLock acting={acting} testId="settings-policy-locked" />}
      <fieldset disabled={!mayAdminister || busy} className="plain-fieldset">
        <div className="field">
          <span id="policy-required-label" className="field-label-static">
            Approvals per bundle
          </span>
          <div className="choice-row" role="radiogroup" aria-labelledby="policy-required-label">
            {([1, 2] as const).map((n) => (
              <label key={n}>
                <input type="radio" name="policy-required" value={n} data-testid={`settings-policy-required-${n}`} checked={required === n} onChange={() => setRequired(n)} />
                {n === 1 ? 'One reviewer' : 'Two different reviewers'}
              </label>
            ))}
          </div>
        </div>
        <div className="field" style={{ marginTop: 12 }}>
          <label htmlFor="settings-policy-mode">Approvals required for import</label>
          <select id="settings-policy-mode" className="settings-select narrow" data-testid="settings-policy-mode" value={mode} onChange={(e) => setMode(e.target.value as PolicyView['mode'])}>
            {MODES.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
          <div className="field-hint">{MODES.find((m) => m.value === mode)?.hint}</div>
        </div>
        {avStored !== null && (
          <div className="field field-check" style={{ marginTop: 12 }}>
            <label htmlFor="settings-policy-av">
              <input id="settings-policy-av" type="checkbox" data-testid="settings-policy-av" checked={av} onChange={(e) => setAv(e.target.checked)} />
              Approval needs a clean antivirus result (recommended)
            </label>
            <div className="field-hint">Off: a bundle whose antivirus scan did not run or failed can still be approved; the review shows that state either way.</div>
          </div>
        )}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" data-testid="settings-policy-save" disabled={!changed || busy}>
            {busy ? 'Saving…' : 'Save policy'}
          </button>
          {saved && (
            <span className="text-good" role="status" data-testid="settings-policy-saved">
              Saved: {saved.requiredApprovals} reviewer{saved.requiredApprovals === 1 ? '' : 's'} per bundle; recorded in the custody log.
            </span>
          )}
        </div>
      </fieldset>
      {error != null && <ErrorBox title="The policy was not changed" error={toShape(error)} testId="settings-policy-error" />}
    </form>
  );
}
