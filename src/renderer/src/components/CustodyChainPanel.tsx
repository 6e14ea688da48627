import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { CustodyVerifyResult } from '../../../shared/api-review';
import { api } from '../api/client';
import { ErrorBox, toShape } from './ErrorBox';
import { Field } from './Field';

/** The state of the station's custody chain (`custody verify`), and report export for one bundle. */
export function CustodyChainPanel({ bundleId, eventCount }: { bundleId: string; eventCount: number }) {
  const [state, setState] = useState<CustodyVerifyResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const check = useCallback(() => {
    api.invoke('custody:verify', bundleId ? { bundleId } : {}).then(
      (r) => (setState(r), setError(null)),
      (err: unknown) => setError(err),
    );
  }, [bundleId]);
  // Re-checked when new events arrive, so the state shown covers them.
  useEffect(check, [check, eventCount]);
  const ok = state ? state.local.ok && state.imported.ok : null;
  return (
    <section className={`panel verdict ${ok === false ? 'verdict-bad' : 'verdict-ok'}`} data-testid="custody-chain">
      <div className="verdict-head">
        <span className="verdict-word" data-testid="custody-chain-state">
          {ok === null ? '…' : ok ? 'INTACT' : 'BROKEN'}
        </span>
        <div className="verdict-text">
          {state?.local.ok && (
            <strong>
              {state.local.count} events recomputed, {state.local.signed ?? 0} signed{state.local.unsignedTail ? `, ${state.local.unsignedTail} unsigned after the last signature` : ''}.
            </strong>
          )}
          {state && !state.local.ok && (
            <strong data-testid="custody-chain-break">
              Event #{state.local.seq} ({state.local.eventId}): {state.local.reason}
            </strong>
          )}
          {state && !state.imported.ok && <strong>Imported log: {state.imported.detail}</strong>}
          <span>
            {bundleId ? `Bundle ${bundleId}: ${state?.bundleEvents ?? '…'} local events.` : 'Whole station chain. Filter by a bundle id to export its report.'}{' '}
            <button type="button" className="btn btn-small" onClick={check}>
              Re-check
            </button>
          </span>
        </div>
      </div>
      {error !== null && <ErrorBox error={toShape(error)} />}
      {bundleId && <ExportForm bundleId={bundleId} />}
    </section>
  );
}

function ExportForm({ bundleId }: { bundleId: string }) {
  const [path, setPath] = useState('');
  const [bundleDir, setBundleDir] = useState('');
  const [written, setWritten] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async (format: 'html' | 'csv', e?: FormEvent) => {
    e?.preventDefault();
    setError(null);
    setWritten(null);
    try {
      const r = await api.invoke('custody:export', { bundleId, format, path: path.trim(), ...(bundleDir.trim() ? { bundleDir: bundleDir.trim() } : {}) });
      setWritten(`${r.path} (${r.events} events)`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="form export-form" onSubmit={(e) => void run(path.trim().endsWith('.csv') ? 'csv' : 'html', e)}>
      <div className="form-row">
        <Field label="Write the report to" htmlFor="custody-export-path" hint="A path on the Ferry service's machine.">
          <input id="custody-export-path" data-testid="custody-export-path" value={path} spellCheck={false} onChange={(e) => setPath(e.target.value)} />
        </Field>
        <Field label="Bundle directory (optional)" htmlFor="custody-export-dir" hint="Adds the manifest, artifacts and an approvals check.">
          <input id="custody-export-dir" value={bundleDir} spellCheck={false} onChange={(e) => setBundleDir(e.target.value)} />
        </Field>
        <button type="button" className="btn" data-testid="custody-export-html" disabled={!path.trim()} onClick={() => void run('html')}>
          Export HTML
        </button>
        <button type="button" className="btn" data-testid="custody-export-csv" disabled={!path.trim()} onClick={() => void run('csv')}>
          Export CSV
        </button>
      </div>
      {written && (
        <p className="muted" data-testid="custody-export-written">
          Wrote <code className="mono">{written}</code>
        </p>
      )}
      {error !== null && <ErrorBox error={toShape(error)} />}
    </form>
  );
}
