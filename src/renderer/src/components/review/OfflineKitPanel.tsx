import type { BundleDocument } from '../../../../shared/api-review';
import { formatBytes } from '../../../../shared/format';

/** The offline kit the reviewed folder carries under ferry/: approving records its digest with the content. */
export function OfflineKitPanel({ doc }: { doc: BundleDocument }) {
  if (!doc.kit && !doc.kitProblem) return null;
  const k = doc.kit;
  return (
    <section className="panel" data-testid="review-kit">
      <div className="panel-title">
        <h2>Offline kit (ferry/)</h2>
        <span className="muted">the tool that runs on the offline host; approving signs its digest with the content</span>
      </div>
      {k ? (
        <table className="table">
          <tbody>
            <tr>
              <th>Ferry</th>
              <td data-testid="review-kit-version">
                {k.version} <span className="mono muted">{k.commit}</span>
              </td>
            </tr>
            <tr>
              <th>Platform</th>
              <td>
                {k.platform}, node {k.nodeVersion}
              </td>
            </tr>
            <tr>
              <th>Digest (kit.json sha256)</th>
              <td className="mono" data-testid="review-kit-digest">
                {k.sha256}
              </td>
            </tr>
            <tr>
              <th>Files</th>
              <td>
                {k.files} files, {formatBytes(k.bytes)}
              </td>
            </tr>
          </tbody>
        </table>
      ) : (
        <p className="verdict verdict-bad" data-testid="review-kit-problem">
          ferry/ is not a sound kit: {doc.kitProblem}. Approval is refused while it is there.
        </p>
      )}
    </section>
  );
}
