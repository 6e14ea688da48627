import type { ArtifactView, BundleDocument } from '../../../../shared/api-review';
import { formatBytes } from '../../../../shared/format';
import { Digest, Path, ShortId } from '../Mono';
import { DataTable } from '../DataTable';

const pinned = (a: ArtifactView) =>
  a.kind === 'image' || a.kind === 'ollama' ? <Digest value={a.digest} /> : a.kind === 'model' ? <ShortId value={a.revision} n={12} /> : `${a.files.length} file(s)`;

/** Every artifact of every kind with where it goes on the offline side (the function delivery uses rendered it). */
export function ArtifactDestinations({ doc }: { doc: BundleDocument }) {
  const problems = doc.deliveryProblems ?? [];
  return (
    <section className="panel panel-flush" data-testid="review-destinations">
      <div className="panel-title">
        <h2>Where each artifact goes</h2>
        <span className="muted">on the offline host, as the install derives it</span>
      </div>
      {problems.length > 0 && (
        <div className="verdict verdict-bad" data-testid="review-delivery-problems">
          <strong>Delivery differs from what is shown: verify refuses this bundle.</strong>
          <ul>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      {(doc.diff?.changed ?? [])
        .filter((c) => c.destinationBefore)
        .map((c) => (
          <p key={`moved:${c.key}`} className="verdict verdict-bad" data-testid="review-destination-moved">
            {c.kind} {c.name} now goes to <code className="mono">{c.destination}</code>; the approved bundle sent it to <code className="mono">{c.destinationBefore}</code>.
          </p>
        ))}
      <DataTable columns={['Kind', 'Source', 'Pinned to', { label: 'Size', className: 'num' }, 'Destination']}>
        {doc.artifacts.map((a) => (
          <tr key={`${a.kind}:${a.name}`} data-testid="review-destination" data-kind={a.kind}>
            <td>{a.kind}</td>
            <td>
              <Path value={a.source} />
            </td>
            <td>{pinned(a)}</td>
            <td className="num">{formatBytes(a.size)}</td>
            <td>
              <Path value={a.destination} />
            </td>
          </tr>
        ))}
      </DataTable>
      {doc.artifacts.map((a) =>
        a.kind === 'image' ? (
          <details key={`layers:${a.name}`} className="panel" data-testid="review-image-layers">
            <summary>
              {a.name}: {a.manifestLayers ? `${a.manifestLayers.length} layer(s) in its image manifest` : 'its image manifest could not be read (verify refuses the bundle)'}
            </summary>
            <ol>
              {(a.manifestLayers ?? []).map((l) => (
                <li key={l.digest} className={a.layers.includes(l.digest) ? '' : 'diff-added'}>
                  <Digest value={l.digest} /> {formatBytes(l.size)} {a.layers.includes(l.digest) ? '' : '— NOT in the bundle manifest'}
                </li>
              ))}
            </ol>
            {a.signatures ? (
              <p data-testid="review-image-signatures">
                Signature: {a.signatures.verdict === 'verified' ? `verified (${a.signatures.kind ?? ''}${a.signatures.keyFingerprint ? ` key sha256:${a.signatures.keyFingerprint.slice(0, 16)}…` : a.signatures.identity ? ` ${a.signatures.identity}` : ''})` : 'not required'} by {a.signatures.policy}; {a.signatures.artifacts.length} signature/attestation manifest(s) carried and pushed beside the image
              </p>
            ) : null}
          </details>
        ) : null,
      )}
    </section>
  );
}
