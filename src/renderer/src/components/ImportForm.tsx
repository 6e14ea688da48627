import { useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ImportRequest } from '../../../shared/api';
import { api } from '../api/client';
import { useDrafts } from '../state/drafts';
import { useJob, useJobs } from '../state/jobs';
import { ErrorBox, toShape } from './ErrorBox';
import { Field } from './Field';
import { Path } from './Mono';
import { ActingOnly } from './SignInHint';
import { OverrideNotice } from './review/OverrideNotice';
import { useAction } from '../state/useAction';

const REGISTRY_RE = /^[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._/-]+)?$/;

/** Import options; only usable once the same directory has verified OK. */
export function ImportForm({ dir }: { dir: string | null }) {
  const d = useDrafts(useShallow((s) => s.import));
  const setD = useDrafts((s) => s.setImport);
  const [password, setPassword] = useState('');
  const { busy: submitting, error, run } = useAction();
  const job = useJob(d.jobId);

  const registry = d.registry.trim();
  const badRegistry = registry !== '' && !REGISTRY_RE.test(registry);
  const hasTarget = registry !== '' || d.docker || d.modelsDir.trim() !== '';
  const running = job?.state === 'running';
  const canSubmit = dir != null && hasTarget && !badRegistry && !submitting && !running;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!canSubmit || dir == null) return;
    const req: ImportRequest = { dir };
    if (registry) req.registry = registry;
    if (d.caFile.trim()) req.caFile = d.caFile.trim();
    if (d.username.trim()) req.username = d.username.trim();
    if (password) req.password = password;
    if (d.docker) req.docker = true;
    if (d.modelsDir.trim()) req.modelsDir = d.modelsDir.trim();
    await run(async () => {
      const created = await api.invoke('bundle:import', req);
      useJobs.getState().seed(created);
      setD({ jobId: created.id });
    });
  };

  return (
    <form className={`panel form${dir == null ? ' form-locked' : ''}`} onSubmit={submit} noValidate>
      <div className="panel-title">
        <h2>2 · Import</h2>
        {dir != null ? (
          <span className="muted">
            from <Path value={dir} />
          </span>
        ) : (
          <span className="muted">Locked until the bundle verifies OK. Nothing is imported from an unverified bundle.</span>
        )}
      </div>
      <div className="form-grid">
        <Field
          label="Registry"
          htmlFor="import-registry"
          hint={badRegistry ? <span className="text-bad">Expected HOST[:PORT][/PREFIX]</span> : 'HOST[:PORT][/PREFIX], e.g. registry.internal:5000/ai'}
        >
          <input id="import-registry" data-testid="import-registry" spellCheck={false} value={d.registry} onChange={(e) => setD({ registry: e.target.value })} />
        </Field>
        <Field label="Registry CA file" htmlFor="import-ca" hint="PEM file, if the registry uses an internal CA">
          <input id="import-ca" data-testid="import-ca" spellCheck={false} value={d.caFile} onChange={(e) => setD({ caFile: e.target.value })} placeholder="/etc/ferry/registry-ca.pem" />
        </Field>
        <Field label="Username" htmlFor="import-username">
          <input id="import-username" data-testid="import-username" autoComplete="username" spellCheck={false} value={d.username} onChange={(e) => setD({ username: e.target.value })} />
        </Field>
        <Field label="Password" htmlFor="import-password" hint="Used for this import only; not stored.">
          <input id="import-password" data-testid="import-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <Field label="Models directory" htmlFor="import-models-dir" hint="Weights are written under this directory, one folder per model.">
          <input id="import-models-dir" data-testid="import-models-dir" spellCheck={false} value={d.modelsDir} onChange={(e) => setD({ modelsDir: e.target.value })} placeholder="/srv/models" />
        </Field>
        <div className="field field-check">
          <label>
            <input type="checkbox" data-testid="import-docker" checked={d.docker} onChange={(e) => setD({ docker: e.target.checked })} />
            Load images into the local Docker engine
          </label>
        </div>
      </div>
      {dir != null && <OverrideNotice dir={dir} />}
      <div className="form-actions">
        <ActingOnly to="import">
          <button type="submit" className="btn btn-primary" data-testid="import-submit" disabled={!canSubmit}>
            {submitting ? 'Starting…' : running ? 'Import running…' : 'Import'}
          </button>
        </ActingOnly>
        {dir != null && !hasTarget && <span className="muted">Choose a registry, Docker, or a models directory.</span>}
      </div>
      {error != null && <ErrorBox title="Could not start import" error={toShape(error)} testId="import-error" />}
    </form>
  );
}
