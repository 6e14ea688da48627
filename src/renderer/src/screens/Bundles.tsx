import { useState, type FormEvent } from 'react';
import { FolderPicker } from '../components/FolderPicker';
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
import { OverridePanel } from '../components/review/OverridePanel';
import { ANTIVIRUS_STATE } from '../../../shared/antivirus-text';
import { ArtifactDestinations } from '../components/review/ArtifactDestinations';
import { BomPanel } from '../components/review/BomPanel';
import { OfflineKitPanel } from '../components/review/OfflineKitPanel';
import { RuntimeSurface } from '../components/review/RuntimeSurface';
import { useAction } from '../state/useAction';
import { DataTable } from '../components/DataTable';

/** Reviewer screen: the manifest as a document — every artifact, digest, size, licence and finding. */
export function Bundles() {
  const [dir, setDir] = useState('');
  const [doc, setDoc] = useState<BundleDocument | null>(null);
  const { busy: loading, error, run } = useAction();

  const load = async (target: string) => {
    if (!target) return;
    await run(
      async () => setDoc(await api.invoke('bundle:manifest', { dir: target })),
      () => setDoc(null),
    );
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
            <FolderPicker id="review-dir" testId="review-dir" value={dir} onChange={setDir} />
          </Field>
          <button className="btn btn-primary" type="submit" data-testid="review-open" disabled={loading || !dir.trim()}>
            {loading ? 'Reading…' : 'Open'}
          </button>
        </div>
        {error !== null && <ErrorBox error={toShape(error)} />}
      </form>
      {doc && <Document key={`${doc.dir}:${doc.manifestSha256}`} doc={doc} onChanged={() => void load(doc.dir)} />}
    </div>
  );
}

/**
 * The verdict word and sentence: blocking findings without an override first, then an antivirus
 * result that is not clean (never a green "SCANNED" while antivirus did not say clean), then
 * overridden findings; green only for a scan with nothing to decide.
 */
function verdictOf(doc: BundleDocument): { word: string; tone: 'ok' | 'bad'; text: string } {
  const unresolved = doc.unresolved ?? (doc.blocked ? [{ file: '', rule: '', detail: '' }] : []);
  const av = (doc.antivirus ?? []).filter((s) => s.status !== 'clean');
  const overridden = doc.overrides?.length ?? 0;
  if (unresolved.length > 0) return { word: 'BLOCKED', tone: 'bad', text: `${unresolved.length} blocking finding(s) without an override: it cannot be approved, written to media or imported until each is decided.` };
  if (av.length > 0) {
    const states = [...new Set(av.map((s) => ANTIVIRUS_STATE[s.status]))].join(' / ');
    return { word: `ANTIVIRUS ${states}`, tone: 'bad', text: `Antivirus did not give a clean result for ${av.map((s) => s.artifact).join(', ')}: see below. Under the default station policy it cannot be approved.` };
  }
  if (overridden > 0) return { word: 'OVERRIDDEN', tone: 'bad', text: `${overridden} blocking finding(s) accepted by a reviewer's signed override: read each reason below.` };
  if (!doc.scannedAt) return { word: 'UNSCANNED', tone: 'bad', text: 'This bundle was not scanned.' };
  return { word: 'SCANNED', tone: 'ok', text: 'No blocking findings; antivirus clean.' };
}

function Document({ doc, onChanged }: { doc: BundleDocument; onChanged: () => void }) {
  const models = doc.artifacts.filter((a) => a.kind === 'model');
  const verdict = verdictOf(doc);
  return (
    <>
      <section className={`panel verdict verdict-${verdict.tone}`}>
        <div className="verdict-head">
          <span className="verdict-word" data-testid="review-verdict">
            {verdict.word}
          </span>
          <div className="verdict-text">
            <strong data-testid="review-verdict-text">{verdict.text}</strong>
            <span>
              Bundle <ShortId value={doc.bundleId} n={18} /> · created {doc.createdAt} by {doc.createdBy.actor} at {doc.createdBy.station} · {doc.files} files,{' '}
              {formatBytes(doc.bytes)} · manifest <Digest value={`sha256:${doc.manifestSha256}`} />
            </span>
          </div>
        </div>
        <p className="field-hint">
          {doc.unresolved && doc.unresolved.length > 0 ? (
            <>
              Or from a terminal: <code className="mono">ferry review {doc.dir} --override --file FILE --rule RULE --reason "…" --as NAME</code> for each
              blocking finding, then <code className="mono">--approve</code> (the creator can do neither).
            </>
          ) : (
            <>
              Or from a terminal: <code className="mono">ferry review {doc.dir} --approve --as NAME</code> (the creator cannot approve).
            </>
          )}
        </p>
      </section>
      <OverridePanel doc={doc} onChanged={onChanged} />
      <BundleDiffPanel doc={doc} />
      <BomPanel doc={doc} />
      <RuntimeSurface doc={doc} />
      <ArtifactDestinations doc={doc} />
      <OfflineKitPanel doc={doc} />
      <section className="panel panel-flush">
        <DataTable testId="review-artifacts" columns={['Kind', 'Source', 'Pinned to', { label: 'Size', className: 'num' }, 'Licence', 'Findings']}>
          {doc.artifacts.map((a) => (
            <tr key={`${a.kind}:${a.name}`} data-testid="review-artifact">
              <td>{a.kind}</td>
              <td>
                <Path value={a.source} />
              </td>
              <td>{a.kind === 'image' || a.kind === 'ollama' ? <Digest value={a.digest} /> : a.kind === 'model' ? <ShortId value={a.revision} n={12} /> : `${a.files.length} file(s)`}</td>
              <td className="num">{formatBytes(a.size)}</td>
              <td>{a.kind === 'model' ? (a.scan?.licence?.id ?? 'unknown') : '—'}</td>
              <td>
                {a.kind === 'model' && a.scan
                  ? ['dangerous', 'suspicious'].map((s) => `${a.scan!.findings.filter((f) => f.severity === s).length} ${s}`).join(', ')
                  : '—'}
              </td>
            </tr>
          ))}
        </DataTable>
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
      {/* Approval is open once every blocking finding is decided (the server checks again, antivirus policy included). */}
      <DecisionPanel doc={{ ...doc, blocked: (doc.unresolved ?? (doc.blocked ? [null] : [])).length > 0 }} />
    </>
  );
}
