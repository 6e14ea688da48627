import type { VerifyResult } from '../../../shared/api';
import { formatBytes } from '../../../shared/format';
import { Path, ShortId } from './Mono';
import { OverrideApprovalState } from './review/OverrideApprovalState';
import { DataTable } from './DataTable';

export function isVerifyResult(v: unknown): v is VerifyResult {
  return typeof v === 'object' && v !== null && typeof (v as VerifyResult).ok === 'boolean' && Array.isArray((v as VerifyResult).problems);
}

/** The verdict, big and unambiguous, then every problem found. */
export function VerifyResultView({ result }: { result: VerifyResult }) {
  const ok = result.ok;
  return (
    <div className={`verdict ${ok ? 'verdict-ok' : 'verdict-bad'}`}>
      <div className="verdict-head">
        <span className="verdict-word" data-testid="verify-result">
          {ok ? 'OK' : 'FAILED'}
        </span>
        <div className="verdict-text">
          <strong>{ok ? 'Every file matches the manifest.' : 'This bundle must not be imported.'}</strong>
          <span>
            {result.checkedFiles.toLocaleString()} files · {formatBytes(result.checkedBytes)} checked · bundle{' '}
            <ShortId value={result.bundleId} n={16} />
            {result.problems.length > 0 && ` · ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`}
          </span>
        </div>
      </div>
      {result.approval && <OverrideApprovalState a={result.approval} />}
      {result.problems.length > 0 && (
        <DataTable scroll columns={[{ label: 'Kind', className: 'col-kind' }, 'Path', 'Detail']}>
          {result.problems.map((p, i) => (
            <tr key={`${p.path}\u0000${i}`} data-testid="verify-problem" data-kind={p.kind}>
              <td>
                <span className="badge badge-bad">{p.kind}</span>
              </td>
              <td>
                <Path value={p.path} />
              </td>
              <td className="wrap">{p.detail}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  );
}
