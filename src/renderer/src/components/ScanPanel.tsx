import type { ModelArtifactView, Severity } from '../../../shared/api-review';
import { formatBytes } from '../../../shared/format';
import type { AntivirusStateView } from '../../../shared/api-overrides';
import { ANTIVIRUS_STATE, signaturesText } from '../../../shared/antivirus-text';
import { DataTable } from './DataTable';
import { FindingCells } from './FindingCells';

/** 24.0 B, 8.4 M, 4,096: parameter counts as people say them. */
function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  return n.toLocaleString();
}

const SEVERITY_TONE: Record<Severity, string> = { dangerous: 'bad', suspicious: 'warn', info: 'muted' };

function Sev({ s }: { s: Severity }) {
  return (
    <span className={`badge badge-${SEVERITY_TONE[s]}`} data-testid="finding-severity">
      {s}
    </span>
  );
}

/** One model's scan: licence, size on GPU, antivirus, and every finding explained. */
export function ScanPanel({ model }: { model: ModelArtifactView }) {
  const scan = model.scan;
  if (!scan) return <div className="alert alert-muted">Not scanned: this bundle was made before scanning, or with it turned off.</div>;
  const gpu = scan.gpuMemory;
  const av: AntivirusStateView = { artifact: model.name, ...scan.antivirus };
  const shown = scan.findings.filter((f) => f.severity !== 'info');
  return (
    <div className="scan" data-testid="scan-panel" data-model={model.repo}>
      <dl className="facts">
        <div>
          <dt>Licence</dt>
          <dd data-testid="scan-licence">
            {scan.licence ? (scan.licence.name ?? scan.licence.id) : <span className="text-warn">unknown — no licence in the model card</span>}
          </dd>
        </div>
        <div>
          <dt>Parameters</dt>
          <dd>
            {scan.parameters ? formatCount(scan.parameters.total) : '—'}
            {scan.parameters && <span className="muted"> ({Object.entries(scan.parameters.byDtype).map(([d, n]) => `${d} ${n.toLocaleString()}`).join(', ')})</span>}
          </dd>
        </div>
        <div>
          <dt>GPU memory (estimate)</dt>
          <dd data-testid="scan-gpu">
            {gpu ? (
              <>
                <strong>{formatBytes(gpu.totalBytes)}</strong>
                <span className="muted"> = weights {formatBytes(gpu.weightsBytes)} + KV cache {formatBytes(gpu.kvCacheBytes)} + overhead {formatBytes(gpu.overheadBytes)}</span>
              </>
            ) : (
              '—'
            )}
          </dd>
        </div>
        <div>
          <dt>Antivirus</dt>
          <dd className={av.status === 'clean' ? '' : 'text-bad'} data-testid="scan-antivirus" data-status={av.status}>
            <strong>{ANTIVIRUS_STATE[av.status]}</strong>
            {av.engine && <span className="muted"> · {av.engine}</span>}
            <span className="muted"> · {signaturesText(av)}</span>
          </dd>
        </div>
      </dl>
      {av.status !== 'clean' && (
        // Same weight as a finding: the state itself, the engine's words, the signature date.
        <div className="alert alert-bad" role="alert" data-testid="scan-antivirus-alert" data-status={av.status}>
          <div className="alert-title">Antivirus {ANTIVIRUS_STATE[av.status]}</div>
          <div className="alert-message">
            {av.status === 'infected' ? 'ClamAV matched a malware signature (see the findings).' : av.status === 'error' ? 'The antivirus engine failed, so these files were not checked for malware.' : 'The antivirus engine did not run, so these files were not checked for malware.'}
            {av.detail && <div className="mono small">{av.detail}</div>}
            <div>{av.engine ?? 'no engine'} · {signaturesText(av)}</div>
          </div>
        </div>
      )}
      {gpu && gpu.assumptions.length > 0 && <p className="field-hint">Assumes: {gpu.assumptions.join('; ')}</p>}
      {shown.length === 0 ? (
        <div className={`alert ${av.status === 'clean' ? 'alert-good' : 'alert-muted'}`}>
          No suspicious or dangerous findings in {model.files.length} files{av.status === 'clean' ? '.' : ` — but antivirus ${ANTIVIRUS_STATE[av.status]} (above).`}
        </div>
      ) : (
        <DataTable scroll columns={['Severity', 'File', 'What was found', 'What it means']}>
          {shown.map((f, i) => (
            <tr key={`${f.file}\u0000${f.rule}\u0000${i}`} data-testid="finding" data-severity={f.severity}>
              <td>
                <Sev s={f.severity} />
              </td>
              <FindingCells file={f.file} rule={f.rule} detail={f.detail} />
              <td className="muted">{f.explanation}</td>
            </tr>
          ))}
        </DataTable>
      )}
      {scan.errors.length > 0 && (
        <div className="alert alert-bad">
          Could not scan {scan.errors.length} file(s): {scan.errors.map((e) => `${e.file}: ${e.detail}`).join('; ')}
        </div>
      )}
    </div>
  );
}
