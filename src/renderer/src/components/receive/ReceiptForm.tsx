import type { FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { api } from '../../api/client';
import { useActing } from '../../state/session';
import { ErrorBox, toShape } from '../ErrorBox';
import { Field } from '../Field';
import { ActingOnly } from '../SignInHint';
import { clock } from '../time';
import { receiptDetails, splitList, useReceive } from './receive-state';
import { useAction } from '../../state/useAction';

/** Records the receipt by hand: which media, which seals, whether they were intact; signed by whoever is signed in. */
export function ReceiptForm() {
  const { r, recorded } = useReceive(useShallow((s) => ({ r: s.receipt, recorded: s.recorded })));
  const setReceipt = useReceive((s) => s.setReceipt);
  const acting = useActing();
  const { busy, error, run } = useAction();
  const problems = [
    !r.bundleId.trim() && 'the bundle id (import the custody log first, or type it)',
    splitList(r.serials).length === 0 && 'at least one media serial',
    !r.sealIntact && 'whether the seals were intact',
    r.sealIntact === 'no' && !r.condition.trim() && 'a note on what was wrong with the seals',
  ].filter(Boolean) as string[];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (problems.length || busy) return;
    await run(async () => {
      const event = await api.invoke('custody:record', { type: 'received', bundleId: r.bundleId.trim(), details: receiptDetails(r), role: 'admin' });
      useReceive.setState({ recorded: event });
    });
  };

  return (
    <form className="panel form" onSubmit={submit} noValidate aria-labelledby="receive-receipt-title">
      <div className="panel-title">
        <h2 id="receive-receipt-title">2 · Record the receipt</h2>
        <span className="muted">Who received which media, and the state of the seals: signed {acting ? `by ${acting.name}` : 'by whoever is signed in'}.</span>
      </div>
      <div className="form-grid">
        <Field label="Bundle id" htmlFor="receive-bundle" hint="Filled in by the custody import.">
          <input id="receive-bundle" data-testid="receive-bundle" spellCheck={false} value={r.bundleId} onChange={(e) => setReceipt({ bundleId: e.target.value })} />
        </Field>
        <Field label="Media serials" htmlFor="receive-serials" hint="As printed on each USB stick or disk; one per line or comma-separated.">
          <textarea id="receive-serials" data-testid="receive-serials" rows={2} spellCheck={false} value={r.serials} onChange={(e) => setReceipt({ serials: e.target.value })} placeholder="USB-1234" />
        </Field>
        <Field label="Seal numbers" htmlFor="receive-seals" hint="The tamper-evident seals on the package; one per line or comma-separated.">
          <textarea id="receive-seals" data-testid="receive-seals" rows={2} spellCheck={false} value={r.seals} onChange={(e) => setReceipt({ seals: e.target.value })} placeholder="S-1001" />
        </Field>
        <fieldset className="field receive-intact" aria-describedby="receive-intact-hint">
          <legend>Seals intact</legend>
          <div className="segmented">
            {(['yes', 'no'] as const).map((v) => (
              <label key={v} className={r.sealIntact === v ? 'active' : ''}>
                <input type="radio" name="receive-intact" value={v} checked={r.sealIntact === v} onChange={() => setReceipt({ sealIntact: v })} data-testid={`receive-intact-${v}`} />
                {v === 'yes' ? 'Yes, intact' : 'No, broken or missing'}
              </label>
            ))}
          </div>
          <div className="field-hint" id="receive-intact-hint">
            {r.sealIntact === 'no' ? <span className="text-bad">Say what was wrong below, and tell the security office before installing.</span> : 'Compare each seal with the numbers the operator recorded.'}
          </div>
        </fieldset>
        <Field label="Condition note" htmlFor="receive-condition" hint="Anything about the package or media worth recording.">
          <textarea id="receive-condition" data-testid="receive-condition" rows={2} value={r.condition} onChange={(e) => setReceipt({ condition: e.target.value })} />
        </Field>
      </div>
      <div className="form-actions">
        <ActingOnly to="record the receipt (signed as you)">
          <button type="submit" className="btn btn-primary" data-testid="receive-record" disabled={problems.length > 0 || busy}>
            {busy ? 'Recording…' : 'Record received'}
          </button>
        </ActingOnly>
        <span className="muted" data-testid="receive-record-needs">
          {problems.length ? `Needs ${problems.join('; ')}.` : 'Appends a signed “received” event to the custody log.'}
        </span>
      </div>
      {error != null && <ErrorBox title="The receipt was not recorded" error={toShape(error)} testId="receive-record-error" />}
      {recorded && (
        <div className={`alert ${recorded.details?.sealIntact === 'no' ? 'alert-bad' : 'alert-good'}`} role="status" data-testid="receive-recorded">
          <div className="alert-title">
            Recorded #{recorded.seq} received at {clock(recorded.at)}
          </div>
          <div className="alert-message">
            {recorded.signer ? `Signed by ${recorded.actor} (key ${recorded.signer.slice(0, 16)}…).` : 'Not signed.'} Media {splitList(r.serials).join(', ')}; seals{' '}
            {recorded.details?.sealIntact === 'no' ? 'NOT intact' : 'intact'}.
          </div>
        </div>
      )}
    </form>
  );
}
