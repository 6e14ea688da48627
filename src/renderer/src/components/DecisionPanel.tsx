import { useState } from 'react';
import type { BundleDocument, DecisionResult } from '../../../shared/api-review';
import { api } from '../api/client';
import { useSession } from '../state/session';
import { ErrorBox, toShape } from './ErrorBox';
import { Field } from './Field';

/** Approve or reject exactly this manifest as the logged-in identity: a signed statement in the bundle and a signed custody event. */
export function DecisionPanel({ doc }: { doc: BundleDocument }) {
  const acting = useSession((s) => s.session?.acting ?? null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<DecisionResult | null>(null);
  // The two-person rule compares keys, never names; a bundle no identity signed cannot be approved at all.
  const creation = doc.creation;
  const creator = acting !== null && creation.signed && creation.fingerprint === acting.fingerprint;
  const unsigned = !creation.signed;
  const decide = async (decision: 'approve' | 'reject') => {
    setBusy(decision);
    setError(null);
    try {
      setResult(await api.invoke('review:decide', { dir: doc.dir, decision, reason }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  return (
    <section className="panel decision" data-testid="review-decision">
      <div className="panel-title">
        <h2>Decision</h2>
        <span className="muted">
          {acting ? `signing as ${acting.name} (${acting.role})` : 'Sign in (top right) as a reviewer to approve or reject'}
        </span>
      </div>
      {result ? (
        <div className={`alert ${result.decision === 'approve' ? 'alert-good' : 'alert-bad'}`} role="status" data-testid="review-outcome">
          <div className="alert-title">{result.decision === 'approve' ? 'Approved' : 'Rejected'} by {result.reviewer}</div>
          <div className="alert-message">
            Statement <code className="mono">{result.statementFile}</code> written into the bundle; custody event #{result.custodySeq}; custody log exported with the bundle ({result.exportedEvents} events, head signed).
          </div>
        </div>
      ) : (
        <>
          <Field label="Reason" htmlFor="review-reason" hint="Recorded in the signed statement and the custody log. Required to reject." wide>
            <textarea id="review-reason" data-testid="review-reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
          </Field>
          {doc.blocked && <p className="text-bad">Blocked by a dangerous finding: it can only be rejected.</p>}
          <p className="muted" data-testid="review-creator">
            {creation.signed ? (
              <>
                Created by <strong>{creation.name}</strong> ({creation.role}), key <code className="mono">{creation.fingerprint.slice(0, 16)}…</code>, signed.
              </>
            ) : (
              <>Creation not signed by an identity: {creation.reason}.</>
            )}
          </p>
          {creator && (
            <p className="text-warn" data-testid="review-two-person">
              two-person rule: you ({creation.signed ? creation.name : ''}) created this bundle with your key and cannot approve it; another reviewer must.
            </p>
          )}
          {unsigned && (
            <p className="text-bad" data-testid="review-unsigned">
              This bundle cannot be approved: its creation is not signed by an identity, so the two-person rule cannot be checked. Create it again signed in (or with <code>ferry bundle create --as NAME</code>).
            </p>
          )}
          <div className="form-actions">
            <button type="button" className="btn btn-primary" data-testid="review-approve" disabled={!acting || busy !== null || doc.blocked || creator || unsigned} onClick={() => void decide('approve')}>
              {busy === 'approve' ? 'Signing…' : 'Approve'}
            </button>
            <button type="button" className="btn btn-danger" data-testid="review-reject" disabled={!acting || busy !== null || !reason.trim()} onClick={() => void decide('reject')}>
              {busy === 'reject' ? 'Signing…' : 'Reject'}
            </button>
          </div>
        </>
      )}
      {error !== null && <ErrorBox error={toShape(error)} title="Not recorded" testId="review-decision-error" />}
    </section>
  );
}
