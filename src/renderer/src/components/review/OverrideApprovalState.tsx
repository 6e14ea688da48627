import type { ApprovalStateView } from '../../../../shared/api-overrides';
import { ANTIVIRUS_STATE, signaturesText } from '../../../../shared/antivirus-text';
import { KitCoverage } from './KitCoverage';

/** Beside the hashes: who approved, whether each key is pinned here, whether the policy is met, and every override the bundle carries. */
export function OverrideApprovalState({ a }: { a: ApprovalStateView }) {
  const p = a.policy;
  return (
    <div className="approval-state" data-testid="verify-approval" data-policy-met={String(a.policyMet)}>
      <p>
        <strong className={a.policyMet ? 'text-good' : 'text-bad'} data-testid="verify-approval-policy">
          {a.policyMet ? 'APPROVAL POLICY MET' : 'APPROVAL POLICY NOT MET'}
        </strong>{' '}
        <span className="muted">
          (this station {p.requireApprovals ? `requires ${p.requiredApprovals} approval(s) from pinned reviewers` : 'does not require approvals for import'}; approval{' '}
          {p.requireCleanAntivirus ? 'needs' : 'does not need'} a clean antivirus result)
        </span>
      </p>
      <table className="table">
        <tbody>
          {a.approvals.length === 0 && (
            <tr>
              <td className="muted">No approval statements in this bundle.</td>
            </tr>
          )}
          {a.approvals.map((x, i) => (
            <tr key={`${x.fingerprint}:${i}`} data-testid="verify-approval-row" data-pinned={String(x.pinned)}>
              <td>{x.decision === 'approve' ? 'approved' : 'rejected'} by <strong>{x.name}</strong></td>
              <td className="mono small">{x.fingerprint.slice(0, 16)}…</td>
              <td>{x.pinned ? 'key pinned' : <span className="text-bad">key NOT pinned</span>}</td>
              <td className="muted">{x.counted ? 'counted' : `not counted: ${x.problem ?? ''}`}</td>
            </tr>
          ))}
          {a.overrides.map((o, i) => (
            <tr key={`o:${o.file}:${i}`} data-testid="verify-override">
              <td>
                <strong className="text-warn">OVERRIDDEN</strong> <code className="mono">{o.file}</code>
              </td>
              <td className="mono small">{o.rule}</td>
              <td>by {o.by.name} at {o.at}</td>
              <td>“{o.reason}”</td>
            </tr>
          ))}
          {a.unresolved.map((f, i) => (
            <tr key={`u:${f.file}:${i}`} data-testid="verify-unresolved">
              <td>
                <strong className="text-bad">BLOCKING</strong> <code className="mono">{f.file}</code>
              </td>
              <td className="mono small">{f.rule}</td>
              <td colSpan={2}>{f.detail}</td>
            </tr>
          ))}
          {a.antivirus
            .filter((s) => s.status !== 'clean')
            .map((s) => (
              <tr key={`av:${s.artifact}`} data-testid="verify-antivirus" data-status={s.status}>
                <td>
                  <strong className="text-bad">ANTIVIRUS {ANTIVIRUS_STATE[s.status]}</strong> {s.artifact}
                </td>
                <td colSpan={3}>
                  {s.engine ?? 'no engine'} · {signaturesText(s)}
                  {s.detail ? ` · ${s.detail}` : ''}
                </td>
              </tr>
            ))}
        </tbody>
      </table>
      {!a.policyMet && a.reasons.length > 0 && (
        <ul className="small" data-testid="verify-approval-reasons">
          {a.reasons.map((r, i) => (
            <li key={i}>{r}</li>
          ))}
        </ul>
      )}
      {a.kit && <KitCoverage kit={a.kit} testId="verify-approval-kit" />}
    </div>
  );
}
