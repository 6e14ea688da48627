import { useEffect, useState } from 'react';
import type { QueueItem } from '../../../shared/api-review';
import { formatBytes } from '../../../shared/format';
import { api } from '../api/client';
import { useCustody } from '../state/custody';
import { Badge } from './Badge';
import { ErrorBox, toShape } from './ErrorBox';
import { Path, ShortId } from './Mono';
import { DataTable } from './DataTable';

/** Bundles this station created: pending review first, then recent decisions. */
export function ReviewQueue({ onOpen }: { onOpen: (dir: string) => void }) {
  const [items, setItems] = useState<QueueItem[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  // Re-read when the custody log grows (a bundle created, approved or rejected).
  const events = useCustody((s) => s.events.length);
  useEffect(() => {
    api.invoke('review:queue', {}).then(setItems, setError);
  }, [events]);
  const pending = items?.filter((i) => i.status === 'pending').length ?? 0;
  return (
    <section className="panel" data-testid="review-queue">
      <div className="panel-title">
        <h2>Queue</h2>
        <span className="muted">{items ? `${pending} waiting for review` : 'Loading…'}</span>
      </div>
      {error !== null && <ErrorBox error={toShape(error)} />}
      {items && items.length === 0 && <p className="muted">No bundles created on this station yet. A bundle from elsewhere can be opened by its directory below.</p>}
      {items && items.length > 0 && (
        <DataTable scroll columns={['State', 'Bundle', 'Directory', { label: 'Size', className: 'num' }, 'Created', '']}>
          {items.map((i) => (
            <tr key={i.bundleId} data-testid="review-queue-item" data-status={i.status}>
              <td>
                <Badge state={i.status === 'pending' ? 'running' : i.status === 'approved' ? 'ok' : 'bad'}>{i.status}</Badge>
              </td>
              <td>
                <ShortId value={i.bundleId} n={8} />
              </td>
              <td>
                <Path value={i.dir} />
              </td>
              <td className="num">{formatBytes(i.bytes)}</td>
              <td className="muted" title={i.decidedBy ? `${i.status} by ${i.decidedBy} at ${i.decidedAt}` : undefined}>
                {i.createdAt.slice(0, 16).replace('T', ' ')} by {i.createdBy}
              </td>
              <td>
                <button className="btn" type="button" data-testid="review-queue-open" onClick={() => onOpen(i.dir)}>
                  Open
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}
