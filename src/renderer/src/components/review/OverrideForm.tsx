import { useState, type FormEvent } from 'react';
import type { UnresolvedFinding } from '../../../../shared/api-overrides';
import { api } from '../../api/client';
import { useSession } from '../../state/session';
import { ErrorBox, toShape } from '../ErrorBox';
import { Field } from '../Field';
import { useAction } from '../../state/useAction';

/** Same floor as the main process (review/overrides.ts MIN_OVERRIDE_REASON); the server decides. */
const MIN_REASON = 20;

/** Accept one blocking finding of this exact manifest, with a written reason, signed by the signed-in reviewer. */
export function OverrideForm({ dir, finding, onRecorded }: { dir: string; finding: UnresolvedFinding; onRecorded: () => void }) {
  const acting = useSession((s) => s.session?.acting ?? null);
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    await run(async () => {
      await api.invoke('review:override', { dir, file: finding.file, rule: finding.rule, detail: finding.detail, reason });
      onRecorded();
    });
  };
  const short = reason.trim().length < MIN_REASON;
  return (
    <form className="form" data-testid="override-form" onSubmit={(e) => void submit(e)}>
      <p>
        Override <code className="mono">{finding.file}</code> · <code className="mono">{finding.rule}</code>: this accepts exactly this finding in exactly this manifest. It is signed
        {acting ? ` by ${acting.name}` : ' by the signed-in reviewer'}, stored in the bundle, recorded in the custody log, and shown again to the offline admin before import.
      </p>
      <Field label="Why is this finding acceptable?" htmlFor="override-reason" hint={`Required, at least ${MIN_REASON} characters: what you checked and why it cannot run code on the offline side.`} wide>
        <textarea id="override-reason" data-testid="override-reason" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />
      </Field>
      <div className="form-actions">
        <button type="submit" className="btn btn-danger" data-testid="override-submit" disabled={!acting || busy || short}>
          {busy ? 'Signing…' : 'Record override'}
        </button>
        {!acting && <span className="muted">Sign in as a reviewer (top right) to record an override.</span>}
      </div>
      {error !== null && <ErrorBox error={toShape(error)} title="Override not recorded" testId="override-error" />}
    </form>
  );
}
