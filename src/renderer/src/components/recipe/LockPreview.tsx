import type { LockEntry, ResolvedRecipe } from '../../../../shared/api';
import { formatBytes, shortDigest } from '../../../../shared/format';
import { DataTable } from '../DataTable';

const KIND_LABEL: Record<LockEntry['kind'], string> = { image: 'Image', model: 'Model', ollama: 'Ollama', files: 'Files' };

function pinned(e: LockEntry): string {
  return e.pinned.startsWith('sha256:') ? shortDigest(e.pinned) : /^[a-f0-9]{40}$/.test(e.pinned) ? e.pinned.slice(0, 12) : e.pinned;
}

function detail(e: LockEntry): string {
  if (e.kind === 'image') return [e.tag ? `tag ${e.tag}` : '', e.platform ?? ''].filter(Boolean).join(' · ');
  if (e.files !== undefined) return `${e.files.toLocaleString()} file${e.files === 1 ? '' : 's'}`;
  return '';
}

/** What the lock pins, before anything is fetched: each artifact, its digest or commit, its size, and the total. */
export function LockPreview({ resolved, stale }: { resolved: ResolvedRecipe; stale: boolean }) {
  const sum = resolved.entries.reduce((s, e) => s + e.size, 0);
  const shared = sum - resolved.totalBytes;
  return (
    <section className={`panel lock-preview${stale ? ' lock-stale' : ''}`} data-testid="lock-preview" data-stale={stale ? 'true' : 'false'}>
      <div className="table-caption">
        <span>Lock preview ({resolved.entries.length} artifact{resolved.entries.length === 1 ? '' : 's'})</span>
        <span className="muted mono" title={resolved.lockId}>
          lock {resolved.lockId.slice(0, 12)}
        </span>
      </div>
      {stale && <div className="alert alert-muted">Parameters changed since this preview: resolve again before creating the bundle.</div>}
      <DataTable
        scroll
        columns={[{ label: 'Kind', className: 'col-kind' }, 'Source', 'Pinned to', 'Details', { label: 'Size', className: 'num' }]}
        foot={
          <tr>
            <td colSpan={4}>
              Total to acquire{shared > 0 ? <span className="muted"> (layers shared between images counted once: {formatBytes(shared)} less)</span> : null}
            </td>
            <td className="num nowrap" data-testid="lock-total" data-bytes={resolved.totalBytes}>
              {formatBytes(resolved.totalBytes)}
            </td>
          </tr>
        }
      >
        {resolved.entries.map((e) => (
          <tr key={`${e.kind}:${e.id}`} data-testid="lock-entry" data-kind={e.kind} data-entry-id={e.id}>
            <td>{KIND_LABEL[e.kind]}</td>
            <td className="mono cell-label" title={e.source}>
              {e.source}
            </td>
            <td className="mono" title={e.pinned} data-testid="lock-pinned">
              {pinned(e)}
            </td>
            <td className="muted">{detail(e)}</td>
            <td className="num nowrap" data-testid="lock-size">
              {formatBytes(e.size)}
            </td>
          </tr>
        ))}
      </DataTable>
    </section>
  );
}
