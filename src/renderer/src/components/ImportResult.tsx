import type { ImportResult } from '../../../shared/api';
import { formatBytes } from '../../../shared/format';
import { Digest, Path } from './Mono';
import { importedCount, nothingImportedWhy } from './verdict';
import { DataTable } from './DataTable';

const TARGET: Record<string, string> = { registry: 'Registry', docker: 'Docker', models: 'Models folder', ollama: 'Ollama' };

export function isImportResult(v: unknown): v is ImportResult {
  const r = v as ImportResult;
  return typeof v === 'object' && v !== null && Array.isArray(r.registry) && Array.isArray(r.docker) && Array.isArray(r.models);
}

/** Where every artifact went: registry pushes, Docker loads, model directories. */
export function ImportResultView({ result }: { result: ImportResult }) {
  const n = importedCount(result);
  const skipped = result.skipped ?? [];
  return (
    <div className="result" data-testid="import-result">
      {n > 0 ? (
        <div className="alert alert-good">
          <div className="alert-title" data-testid="import-verdict">
            Imported {n} artifact{n === 1 ? '' : 's'}
          </div>
          <div className="alert-message">
            bundle <code className="mono">{result.bundleId}</code>
          </div>
        </div>
      ) : (
        <div className="alert alert-bad" role="alert">
          <div className="alert-title" data-testid="import-verdict">
            Imported nothing: {nothingImportedWhy(result)}
          </div>
          <div className="alert-message">
            bundle <code className="mono">{result.bundleId}</code>. Choose a target this bundle has artifacts for, then import again.
          </div>
        </div>
      )}
      {skipped.length > 0 && (
        <ul className="import-skipped" aria-label="Targets skipped">
          {skipped.map((k) => (
            <li key={k.target} data-testid="import-skipped" data-target={k.target}>
              <strong>{TARGET[k.target] ?? k.target}</strong> skipped: {k.reason}
            </li>
          ))}
        </ul>
      )}
      {result.registry.length > 0 && (
        <>
          <h3>Registry</h3>
          <DataTable testId="import-registry-table" columns={['Source', { ariaLabel: 'to' }, 'Target', 'Digest', { label: 'Blobs pushed', className: 'num' }, { label: 'Already present', className: 'num' }]}>
            {result.registry.map((r) => (
              <tr key={r.target} data-testid="import-row">
                <td className="mono">{r.source}</td>
                <td className="arrow">→</td>
                <td className="mono">{r.target}</td>
                <td>
                  <Digest value={r.digest} />
                </td>
                <td className="num">{r.blobsUploaded}</td>
                <td className="num">{r.blobsSkipped}</td>
              </tr>
            ))}
          </DataTable>
        </>
      )}
      {result.docker.length > 0 && (
        <>
          <h3>Docker</h3>
          <DataTable testId="import-docker-table" columns={['Source', { ariaLabel: 'to' }, 'Tag', 'Image id']}>
            {result.docker.map((r) => (
              <tr key={r.tag} data-testid="import-row">
                <td className="mono">{r.source}</td>
                <td className="arrow">→</td>
                <td className="mono">{r.tag}</td>
                <td>
                  <Digest value={r.imageId} />
                </td>
              </tr>
            ))}
          </DataTable>
        </>
      )}
      {result.models.length > 0 && (
        <>
          <h3>Models</h3>
          <DataTable testId="import-models-table" columns={['Repository', { ariaLabel: 'to' }, 'Directory', { label: 'Files', className: 'num' }, { label: 'Size', className: 'num' }]}>
            {result.models.map((m) => (
              <tr key={m.dir} data-testid="import-row">
                <td className="mono">{m.repo}</td>
                <td className="arrow">→</td>
                <td>
                  <Path value={m.dir} />
                </td>
                <td className="num">{m.files}</td>
                <td className="num">{formatBytes(m.bytes)}</td>
              </tr>
            ))}
          </DataTable>
        </>
      )}
    </div>
  );
}
