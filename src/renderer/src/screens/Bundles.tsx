import { useState, type FormEvent } from 'react';
import type { BundleDocument } from '../../../shared/api-review';
import { formatBytes } from '../../../shared/format';
import { api } from '../api/client';
import { BundleDiffPanel } from '../components/BundleDiffPanel';
import { DecisionPanel } from '../components/DecisionPanel';
import { ErrorBox, toShape } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { Digest, Path, ShortId } from '../components/Mono';
import { ReviewQueue } from '../components/ReviewQueue';
import { ScanPanel } from '../components/ScanPanel';

/** Reviewer screen: the manifest as a document — every artifact, digest, size, licence and finding. */
export function Bundles() {
  const [dir, setDir] = useState('');
  const [doc, setDoc] = useState<BundleDocument | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  const load = async (target: string) => {
    if (!target) return;
    setLoading(true);
    setError(null);
    try {
      setDoc(await api.invoke('bundle:manifest', { dir: target }));
    } catch (err) {
      setDoc(null);
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  const open = (e: FormEvent) => {
    e.preventDefault();
    void load(dir.trim());
  };
  const openFromQueue = (target: string) => {
    setDir(target);
    void load(target);
  };

  return (
    <div className="screen">
      <header className="screen-head">
        <h1>Review a bundle</h1>
        <p className="muted">Read what would cross: every artifact with its source, pinned digest, size, licence and scan findings.</p>
      </header>
      <ReviewQueue onOpen={openFromQueue} />
      <form className="panel form" onSubmit={open}>
        <div className="form-row">
          <Field label="Bundle directory" htmlFor="review-dir" hint="The directory holding manifest.json.">
            <input id="review-dir" data-testid="review-dir" value={dir} onChange={(e) => setDir(e.target.value)} spellCheck={false} />
          </Field>
          <button className="btn btn-primary" type="submit" data-testid="review-open" disabled={loading || !dir.trim()}>
            {loading ? 'Reading…' : 'Open'}
          </button>
        </div>
        {error !== null && <ErrorBox error={toShape(error)} />}
      </form>
      {doc && <Document key={`${doc.dir}:${doc.manifestSha256}`} doc={doc} />}
    </div>
  );
}

function Document({ doc }: { doc: BundleDocument }) {
  const models = doc.artifacts.filter((a) => a.kind === 'model');
  return (
    <>
      <section className={`panel verdict ${doc.blocked ? 'verdict-bad' : 'verdict-ok'}`}>
        <div className="verdict-head">
          <span className="verdict-word" data-testid="review-verdict">
            {doc.blocked ? 'BLOCKED' : doc.scannedAt ? 'SCANNED' : 'UNSCANNED'}
          </span>
          <div className="verdict-text">
            <strong>{doc.blocked ? 'A model in this bundle can run code when loaded. It cannot be approved or written to media.' : 'No dangerous findings.'}</strong>
            <span>
              Bundle <ShortId value={doc.bundleId} n={18} /> · created {doc.createdAt} by {doc.createdBy.actor} at {doc.createdBy.station} · {doc.files} files,{' '}
              {formatBytes(doc.bytes)} · manifest <Digest value={`sha256:${doc.manifestSha256}`} />
            </span>
          </div>
        </div>
        <p className="field-hint">
          Or from a terminal: <code className="mono">ferry review {doc.dir} --approve --as NAME</code> (the creator cannot approve).
        </p>
      </section>
      <BundleDiffPanel doc={doc} />
      <section className="panel panel-flush">
        <table className="table" data-testid="review-artifacts">
          <thead>
            <tr>
              <th>Kind</th>
              <th>Source</th>
              <th>Pinned to</th>
              <th className="num">Size</th>
              <th>Licence</th>
              <th>Findings</th>
            </tr>
          </thead>
          <tbody>
            {doc.artifacts.map((a) => (
              <tr key={`${a.kind}:${a.name}`} data-testid="review-artifact">
                <td>{a.kind}</td>
                <td>
                  <Path value={a.source} />
                </td>
                <td>{a.kind === 'image' ? <Digest value={a.digest} /> : <ShortId value={a.revision} n={12} />}</td>
                <td className="num">{formatBytes(a.size)}</td>
                <td>{a.kind === 'model' ? (a.scan?.licence?.id ?? 'unknown') : '—'}</td>
                <td>
                  {a.kind === 'model' && a.scan
                    ? ['dangerous', 'suspicious'].map((s) => `${a.scan!.findings.filter((f) => f.severity === s).length} ${s}`).join(', ')
                    : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {models.map((m) => (
        <section className="panel" key={m.repo}>
          <div className="panel-title">
            <h2>{m.repo}</h2>
            <span className="muted">
              revision <ShortId value={m.revision} n={12} /> · {m.files.length} files · {formatBytes(m.size)}
            </span>
          </div>
          <ScanPanel model={m} />
        </section>
      ))}
      <DecisionPanel doc={doc} />
    </>
  );
}
