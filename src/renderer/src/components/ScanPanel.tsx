import type { ModelArtifactView, Severity } from '../../../shared/api-review';
import { formatBytes } from '../../../shared/format';

/** 24.0 B, 8.4 M, 4,096: parameter counts as people say them. */
function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  return n.toLocaleString();
}

const SEVERITY_TONE: Record<Severity, string> = { dangerous: 'bad', suspicious: 'warn', info: 'muted' };
const AV_TEXT = { clean: 'clean', infected: 'INFECTED', 'not-run': 'not run', error: 'error' } as const;

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
          <dd className={scan.antivirus.status === 'clean' ? '' : 'text-warn'} title={scan.antivirus.detail}>
            {AV_TEXT[scan.antivirus.status]}
            {scan.antivirus.engine && <span className="muted"> · {scan.antivirus.engine}</span>}
          </dd>
        </div>
      </dl>
      {gpu && gpu.assumptions.length > 0 && <p className="field-hint">Assumes: {gpu.assumptions.join('; ')}</p>}
      {shown.length === 0 ? (
        <div className="alert alert-good">No suspicious or dangerous findings in {model.files.length} files.</div>
      ) : (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th>Severity</th>
                <th>File</th>
                <th>What was found</th>
                <th>What it means</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((f, i) => (
                <tr key={`${f.file}\u0000${f.rule}\u0000${i}`} data-testid="finding" data-severity={f.severity}>
                  <td>
                    <Sev s={f.severity} />
                  </td>
                  <td>
                    <code className="mono">{f.file}</code>
                  </td>
                  <td>
                    <div className="mono small">{f.rule}</div>
                    {f.detail}
                  </td>
                  <td className="muted">{f.explanation}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {scan.errors.length > 0 && (
        <div className="alert alert-bad">
          Could not scan {scan.errors.length} file(s): {scan.errors.map((e) => `${e.file}: ${e.detail}`).join('; ')}
        </div>
      )}
    </div>
  );
}
