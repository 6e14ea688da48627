import { useCallback, useEffect, useState } from 'react';
import type { CustodyVerifyResult } from '../../../shared/api-review';
import { api } from '../api/client';
import { ErrorBox, toShape } from './ErrorBox';
import { Field } from './Field';
import { FolderPicker } from './FolderPicker';
import type { ReportFile } from '../../../shared/channels/custody-admin';
import { formatBytes } from '../../../shared/format';

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
    <section className={`panel verdict ${ok === false ? 'verdict-bad' : 'verdict-ok'}`} data-testid="custody-chain" data-ok={ok === null ? undefined : String(ok)}>
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

const FORMATS = [
  { format: 'html', label: 'HTML' },
  { format: 'pdf', label: 'PDF' },
  { format: 'csv', label: 'CSV' },
] as const;

/** Hands a report file to the browser as a download; the server writes nothing anywhere. */
function download(file: ReportFile): void {
  const bytes = Uint8Array.from(atob(file.contentBase64), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: file.mediaType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file.fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The bundle's custody report, downloaded as HTML, PDF or CSV. */
function ExportForm({ bundleId }: { bundleId: string }) {
  const [bundleDir, setBundleDir] = useState('');
  const [got, setGot] = useState<ReportFile | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async (format: 'html' | 'pdf' | 'csv') => {
    setError(null);
    setGot(null);
    setBusy(format);
    try {
      const file = await api.invoke('custody:report', { bundleId, format, ...(bundleDir.trim() ? { bundleDir: bundleDir.trim() } : {}) });
      download(file);
      setGot(file);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  return (
    <form className="form export-form" onSubmit={(e) => e.preventDefault()}>
      <div className="form-row">
        <Field label="Bundle directory (optional)" htmlFor="custody-export-dir" hint="Adds the manifest, artifacts and an approvals check to the report.">
          <FolderPicker id="custody-export-dir" testId="custody-export-dir" value={bundleDir} onChange={setBundleDir} />
        </Field>
        <div className="report-buttons" role="group" aria-label="Download the custody report">
          {FORMATS.map((f) => (
            <button key={f.format} type="button" className="btn" data-testid={`report-download-${f.format}`} disabled={busy !== null} onClick={() => void run(f.format)}>
              {busy === f.format ? 'Preparing…' : `Download ${f.label}`}
            </button>
          ))}
        </div>
      </div>
      {got && (
        <p className="muted" data-testid="report-downloaded">
          Downloaded <code className="mono">{got.fileName}</code> ({formatBytes(got.bytes)})
        </p>
      )}
      {error !== null && <ErrorBox error={toShape(error)} title="Could not make the report" testId="report-error" />}
    </form>
  );
}
