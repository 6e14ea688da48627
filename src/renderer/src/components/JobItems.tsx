import type { JobItem } from '../../../shared/api';
import { formatBytes } from '../../../shared/format';
import { Badge } from './Badge';
import { Progress, percent } from './Progress';
import { DataTable } from './DataTable';

const TONE = { pending: 'muted', running: 'info', done: 'good', skipped: 'muted', failed: 'bad', canceled: 'muted' } as const;

function counts(items: JobItem[]): string {
  const n: Record<JobItem['state'], number> = { pending: 0, running: 0, done: 0, skipped: 0, failed: 0, canceled: 0 };
  for (const i of items) n[i.state]++;
  return (Object.keys(n) as JobItem['state'][])
    .filter((k) => n[k] > 0)
    .map((k) => `${n[k]} ${k}`)
    .join(' · ');
}

export function JobItems({ items }: { items: JobItem[] }) {
  if (items.length === 0) return null;
  return (
    <div className="job-items">
      <div className="table-caption">
        <span>Items ({items.length})</span>
        <span className="muted">{counts(items)}</span>
      </div>
      <DataTable scroll columns={['Item', { label: 'Size', className: 'num' }, { label: 'Progress', className: 'col-progress' }, { label: 'State', className: 'col-state' }]}>
        {items.map((it) => (
          <tr key={it.id} data-testid="job-item" data-state={it.state} data-item-id={it.id}>
            <td className="mono cell-label" title={it.id}>
              {it.label}
            </td>
            <td className="num">{it.bytesTotal > 0 ? formatBytes(it.bytesTotal) : '—'}</td>
            <td>
              <div className="cell-progress">
                <Progress done={it.bytesDone} total={it.bytesTotal} tone={TONE[it.state]} slim />
                <span className="num muted">
                  {it.state === 'skipped' ? '—' : percent(it.bytesDone, it.bytesTotal)}
                </span>
              </div>
            </td>
            <td>
              <Badge state={it.state} />
            </td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}
