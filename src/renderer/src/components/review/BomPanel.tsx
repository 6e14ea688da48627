import { useState, type FormEvent } from 'react';
import type { BomComponentChange, BundleDocument } from '../../../../shared/api-review';
import { api } from '../../api/client';
import { ErrorBox, toShape } from '../ErrorBox';
import { Field } from '../Field';
import { Digest } from '../Mono';

const SIGN = { added: '+', removed: '−', changed: '~' } as const;

/** The bill of materials: what it lists, what changed in it since the last approval, and export (CycloneDX or SPDX). */
export function BomPanel({ doc }: { doc: BundleDocument }) {
  const bom = doc.bom;
  if (!bom) {
    return (
      <section className="panel" data-testid="review-bom">
        <div className="panel-title">
          <h2>Bill of materials</h2>
        </div>
        <p className="muted" data-testid="review-bom-none">
          This bundle carries no bill of materials (it was made by a Ferry without BOMs).
        </p>
      </section>
    );
  }
  const types = Object.entries(bom.components.byType).sort(([a], [b]) => (a < b ? -1 : 1));
  const d = doc.diff?.bom;
  const rows: [keyof typeof SIGN, BomComponentChange][] = d
    ? [...d.added.map((c) => ['added', c] as [keyof typeof SIGN, BomComponentChange]), ...d.removed.map((c) => ['removed', c] as [keyof typeof SIGN, BomComponentChange]), ...d.changed.map((c) => ['changed', c] as [keyof typeof SIGN, BomComponentChange])]
    : [];
  return (
    <section className={`panel${bom.problem ? ' verdict verdict-bad' : ''}`} data-testid="review-bom">
      <div className="panel-title">
        <h2>Bill of materials</h2>
        <span className="muted">
          {bom.path} · {bom.format} {bom.specVersion} · <Digest value={`sha256:${bom.sha256}`} />
        </span>
      </div>
      {bom.problem ? (
        <p data-testid="review-bom-problem">
          <strong>{bom.problem}</strong>
        </p>
      ) : (
        <p data-testid="review-bom-counts">
          {bom.components.total} components, {bom.components.topLevel} top-level (artifacts and recipe); by type: {types.map(([t, n]) => `${n} ${t}`).join(', ')}.
        </p>
      )}
      {d && (
        <p className="diff-summary" data-testid="review-bom-diff">
          Since the last approval: {d.added.length} added, {d.removed.length} removed, {d.changed.length} changed component(s).
        </p>
      )}
      {rows.length > 0 && (
        <details className="diff-files">
          <summary>Changed components by bom-ref</summary>
          <ul>
            {rows.slice(0, 500).map(([change, c]) => (
              <li key={`${change}:${c.ref}`} className={`diff-${change}`} data-testid="review-bom-diff-row" data-change={change}>
                {SIGN[change]} <code className="mono">{c.ref}</code> <span className="muted">{c.type}</span>
                {c.before && (
                  <span className="muted">
                    {' '}
                    {c.before.version ?? c.before.sha256?.slice(0, 12)} → {c.version ?? c.sha256?.slice(0, 12)}
                  </span>
                )}
              </li>
            ))}
            {rows.length > 500 && <li className="muted">… and {rows.length - 500} more</li>}
          </ul>
        </details>
      )}
      {!bom.problem && <BomExport dir={doc.dir} />}
    </section>
  );
}

function BomExport({ dir }: { dir: string }) {
  const [path, setPath] = useState('');
  const [written, setWritten] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async (format: 'cyclonedx' | 'spdx', e?: FormEvent) => {
    e?.preventDefault();
    setError(null);
    setWritten(null);
    try {
      const r = await api.invoke('bundle:bom', { dir, format, path: path.trim() });
      setWritten(`${r.path} (${r.components} components)`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="form export-form" onSubmit={(e) => void run(path.trim().endsWith('.spdx.json') ? 'spdx' : 'cyclonedx', e)}>
      <div className="form-row">
        <Field label="Export the BOM to" htmlFor="bom-export-path" hint="A path on the Ferry service's machine.">
          <input id="bom-export-path" data-testid="bom-export-path" value={path} spellCheck={false} onChange={(e) => setPath(e.target.value)} />
        </Field>
        <button type="button" className="btn" data-testid="bom-export-cyclonedx" disabled={!path.trim()} onClick={() => void run('cyclonedx')}>
          Export CycloneDX
        </button>
        <button type="button" className="btn" data-testid="bom-export-spdx" disabled={!path.trim()} onClick={() => void run('spdx')}>
          Export SPDX
        </button>
      </div>
      {written && (
        <p className="muted" data-testid="bom-export-written">
          Wrote <code className="mono">{written}</code>
        </p>
      )}
      {error !== null && <ErrorBox error={toShape(error)} />}
    </form>
  );
}
