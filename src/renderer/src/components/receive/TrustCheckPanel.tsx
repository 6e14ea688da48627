import type { TrustCheckView } from '../../../../shared/channels/trust-check';
import { api } from '../../api/client';
import { ErrorBox, toShape } from '../ErrorBox';
import { ShortId } from '../Mono';
import { useReceive } from './receive-state';
import { useAction } from '../../state/useAction';
import { DataTable } from '../DataTable';

function Verdict({ v }: { v: TrustCheckView }) {
  return (
    <div className="receive-trust" data-testid="receive-trust" data-ok={v.ok ? 'yes' : 'no'}>
      <div className={`alert ${v.ok ? 'alert-good' : 'alert-bad'}`} role={v.ok ? 'status' : 'alert'} data-testid="receive-trust-verdict">
        <div className="alert-title">{v.ok ? 'Approved for this station' : 'Refused: not approved for this station'}</div>
        <div className="alert-message">
          {v.approvedBy.length} of {v.policy.requiredApprovals} required approval{v.policy.requiredApprovals === 1 ? '' : 's'} from pinned reviewers
          {v.approvedBy.length > 0 && <> — approved by <span data-testid="receive-trust-approvers">{v.approvedBy.map((a) => a.name).join(', ')}</span></>}.
        </div>
        {v.reasons.length > 0 && (
          <ul className="receive-trust-reasons" data-testid="receive-trust-reasons">
            {v.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        )}
      </div>
      {v.checks.length > 0 && (
        <DataTable caption={<caption className="visually-hidden">Approval statements in the bundle</caption>} columns={['Statement', 'Reviewer', 'Decision', 'Counts', 'Problem']}>
          {v.checks.map((c) => (
            <tr key={c.path} data-testid="receive-trust-check" data-valid={c.valid ? 'yes' : 'no'} className={c.valid ? undefined : 'row-bad'}>
              <td className="mono wrap">{c.path}</td>
              <td>
                {c.reviewer ?? <span className="muted">unknown</span>} {c.fingerprint && <ShortId value={c.fingerprint} n={12} />}
              </td>
              <td>{c.decision ?? '—'}</td>
              <td>{c.valid ? <span className="badge badge-good">yes</span> : <span className="badge badge-bad">no</span>}</td>
              <td className="wrap">{c.problem ?? ''}</td>
            </tr>
          ))}
        </DataTable>
      )}
      {v.notes.length > 0 && (
        <>
          <h3>Notes</h3>
          <ul className="muted" data-testid="receive-trust-notes">
            {v.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

/** Whether the bundle's approvals meet this station's policy with the keys pinned here. */
export function TrustCheckPanel() {
  const dir = useReceive((s) => s.dir.trim());
  const trust = useReceive((s) => s.trust);
  const trustDir = useReceive((s) => s.trustDir);
  const { busy, error, run } = useAction();
  const check = async () => {
    if (!dir || busy) return;
    await run(
      async () => useReceive.setState({ trust: await api.invoke('trust:check', { dir }), trustDir: dir }),
      () => useReceive.setState({ trust: null, trustDir: null }),
    );
  };
  return (
    <section className="panel" aria-labelledby="receive-trust-title">
      <div className="panel-title">
        <h2 id="receive-trust-title">3 · Approvals</h2>
        <span className="muted">Checks the reviewers' signed approvals in the bundle against this station's policy and pinned keys.</span>
      </div>
      <div className="form-actions">
        <button type="button" className="btn btn-primary" data-testid="receive-trust-check-run" disabled={!dir || busy} onClick={() => void check()}>
          {busy ? 'Checking…' : 'Check approvals'}
        </button>
        {trust && trustDir !== dir && <span className="text-warn">The folder changed since this check; check again.</span>}
        {!dir && <span className="muted">Enter the bundle folder above.</span>}
      </div>
      {error != null && <ErrorBox title="Could not check the approvals" error={toShape(error)} testId="receive-trust-error" />}
      {trust && <Verdict v={trust} />}
    </section>
  );
}
