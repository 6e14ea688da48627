import type { ArtifactChange, BundleDocument } from '../../../shared/api-review';
import { Digest, Path, ShortId } from './Mono';

const SIGN = { added: '+', removed: '−', changed: '~' } as const;

/** What changed since the last bundle of the same recipe this station approved. */
export function BundleDiffPanel({ doc }: { doc: BundleDocument }) {
  const d = doc.diff;
  if (!d) {
    return (
      <section className="panel" data-testid="review-diff">
        <div className="panel-title">
          <h2>Changes since the last approval</h2>
          <span className="muted">recipe {doc.recipe ?? 'adhoc'}</span>
        </div>
        <p className="muted" data-testid="review-diff-none">
          No bundle of recipe <code>{doc.recipe ?? 'adhoc'}</code> was approved on this station before: review every artifact below.
        </p>
      </section>
    );
  }
  const rows: [keyof typeof SIGN, ArtifactChange][] = [
    ...d.added.map((a) => ['added', a] as [keyof typeof SIGN, ArtifactChange]),
    ...d.removed.map((a) => ['removed', a] as [keyof typeof SIGN, ArtifactChange]),
    ...d.changed.map((a) => ['changed', a] as [keyof typeof SIGN, ArtifactChange]),
  ];
  const same = rows.length === 0 && d.filesChangedTotal === 0;
  return (
    <section className="panel" data-testid="review-diff">
      <div className="panel-title">
        <h2>Changes since the last approval</h2>
        <span className="muted">
          recipe {doc.recipe ?? 'adhoc'} · against <ShortId value={d.against.bundleId} n={13} />, approved {d.against.approvedAt} by {d.against.approvedBy}
        </span>
      </div>
      <p className="diff-summary" data-testid="review-diff-summary">
        {same ? 'Identical artifacts and files.' : `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} re-pinned artifact(s); ${d.filesChangedTotal} file(s) differ.`}
      </p>
      {rows.length > 0 && (
        <table className="table">
          <tbody>
            {rows.map(([change, a]) => (
              <tr key={`${change}:${a.key}`} data-testid="review-diff-row" data-change={change} className={`diff-${change}`}>
                <td className="diff-sign">{SIGN[change]}</td>
                <td>{a.kind}</td>
                <td>
                  <Path value={a.name} />
                </td>
                <td>
                  {a.before && (
                    <>
                      <Digest value={a.before} /> →{' '}
                    </>
                  )}
                  <Digest value={a.pinned} />
                  {a.signatureBefore && (
                    <div className="muted" data-testid="review-diff-signature">
                      signature {a.signatureBefore} → {a.signature}
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {d.filesChangedTotal > 0 && (
        <details className="diff-files">
          <summary>{d.filesChangedTotal} changed file(s) by path and sha256</summary>
          <ul>
            {d.filesChanged.map((f) => (
              <li key={f.path} className={`diff-${f.change}`}>
                {SIGN[f.change]} <code className="mono">{f.path}</code> <span className="muted">{f.change}</span>
              </li>
            ))}
            {d.filesChangedTotal > d.filesChanged.length && <li className="muted">… and {d.filesChangedTotal - d.filesChanged.length} more</li>}
          </ul>
        </details>
      )}
    </section>
  );
}
