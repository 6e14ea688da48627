import { useEffect, useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { InstallView } from '../../../../shared/api-install';
import { api } from '../../api/client';
import { useJob, useJobs } from '../../state/jobs';
import { ErrorBox, toShape } from '../ErrorBox';
import { Field } from '../Field';
import { ActingOnly } from '../SignInHint';
import { upgradeSource, useUpgrade } from './upgrade-state';

/** Installs that can be upgraded: every step done (or skipped). */
function upgradable(i: InstallView): boolean {
  return i.steps.length > 0 && i.steps.every((s) => s.state === 'done' || s.state === 'skipped');
}

/** Step 1: which install, the new bundle (folder or volumes), the registry password; then Plan. */
export function UpgradeForm() {
  const { d, password, planJobId, runJobId } = useUpgrade(useShallow((s) => ({ d: s.draft, password: s.password, planJobId: s.planJobId, runJobId: s.runJobId })));
  const { setDraft, setPassword } = useUpgrade.getState();
  const [installs, setInstalls] = useState<InstallView[] | null>(null);
  const [listError, setListError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  const planJob = useJob(planJobId);
  const runJob = useJob(runJobId);

  useEffect(() => {
    api.invoke('install:list', {}).then(setInstalls, setListError);
  }, [runJob?.state]);
  const choices = (installs ?? []).filter(upgradable);
  // One finished install: choose it (the admin can still see and change the choice).
  const only = choices.length === 1 ? choices[0]!.installId : '';
  useEffect(() => {
    if (!d.installId && only) setDraft({ installId: only });
  }, [only, d.installId, setDraft]);

  const { arg, key } = upgradeSource(d);
  const busy = starting || planJob?.state === 'running' || runJob?.state === 'running';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!arg || busy) return;
    setStarting(true);
    setError(null);
    try {
      const job = await api.invoke('upgrade:run', { ...arg, planOnly: true, ...(password ? { password } : {}) });
      useJobs.getState().seed(job);
      useUpgrade.setState({ planJobId: job.id, planKey: key, runJobId: null });
    } catch (err) {
      setError(err);
    } finally {
      setStarting(false);
    }
  };

  return (
    <form className="panel form" onSubmit={submit} noValidate aria-labelledby="upgrade-source-title">
      <div className="panel-title">
        <h2 id="upgrade-source-title">1 · Install and new bundle</h2>
      </div>
      {listError != null && <ErrorBox title="Could not list the installs" error={toShape(listError)} />}
      <div className="form-grid">
        <Field
          label="Install to upgrade"
          htmlFor="upgrade-install"
          hint={installs && choices.length === 0 ? 'No finished install on this station: run one to the end on Guided install first.' : 'Installs whose steps are all done.'}
        >
          <select id="upgrade-install" data-testid="upgrade-install" value={d.installId} onChange={(e) => setDraft({ installId: e.target.value })}>
            <option value="">{installs === null ? 'Reading installs…' : '(choose an install)'}</option>
            {choices.map((i) => (
              <option key={i.installId} value={i.installId}>
                {i.recipe.title} {i.recipe.version} · {i.installId}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Registry password" htmlFor="upgrade-password" hint="For pushing the new images; used for this run only, never stored or shown.">
          <input id="upgrade-password" data-testid="upgrade-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
      </div>
      <div className="segmented" role="radiogroup" aria-label="New bundle source">
        {(['dir', 'volumes'] as const).map((m) => (
          <label key={m} className={d.source === m ? 'active' : ''}>
            <input type="radio" name="upgrade-source" value={m} checked={d.source === m} onChange={() => setDraft({ source: m })} data-testid={`upgrade-source-${m}`} />
            {m === 'dir' ? 'Bundle folder' : 'Mounted volumes'}
          </label>
        ))}
      </div>
      <div className="form-row">
        {d.source === 'dir' ? (
          <Field label="New bundle folder" htmlFor="upgrade-dir" hint="The folder holding the new bundle's manifest." wide>
            <input id="upgrade-dir" data-testid="upgrade-dir" spellCheck={false} value={d.dir} onChange={(e) => setDraft({ dir: e.target.value })} placeholder="/media/ferry-vol1" />
          </Field>
        ) : (
          <Field label="New bundle volumes" htmlFor="upgrade-volumes" hint="Mount paths, one per line, any order." wide>
            <textarea id="upgrade-volumes" data-testid="upgrade-volumes" rows={3} spellCheck={false} value={d.volumes} onChange={(e) => setDraft({ volumes: e.target.value })} placeholder={'/media/ferry-vol1\n/media/ferry-vol2'} />
          </Field>
        )}
        <ActingOnly to="plan an upgrade (recorded as yours)">
          <button type="submit" className="btn btn-primary" data-testid="upgrade-plan" disabled={!arg || busy}>
            {starting ? 'Starting…' : planJob?.state === 'running' ? 'Planning…' : 'Plan'}
          </button>
        </ActingOnly>
      </div>
      <p className="muted small">Plan verifies the new bundle and shows what changes, its release notes and migration guide. Nothing on the host changes until you press Upgrade.</p>
      {error != null && <ErrorBox title="Could not plan the upgrade" error={toShape(error)} testId="upgrade-plan-error" />}
    </form>
  );
}
