import { useEffect, useState } from 'react';
import type { RecentBundle } from '../../../shared/channels/operator';
import { api } from '../api/client';
import { ShortId } from './Mono';
import { stamp } from './time';

/** The bundles this station made recently, each a one-click choice of its folder. */
export function RecentBundles({ onPick, current }: { onPick: (dir: string) => void; current?: string }) {
  const [recent, setRecent] = useState<RecentBundle[] | null>(null);
  useEffect(() => {
    void api.invoke('bundle:recent', { limit: 6 }).then(setRecent, () => setRecent([]));
  }, []);
  if (!recent || recent.length === 0) return null;
  return (
    <div className="recent-bundles" role="group" aria-label="Recent bundles" data-testid="recent-bundles">
      <span className="muted">Recent bundles:</span>
      {recent.map((b) => (
        <button
          key={b.dir}
          type="button"
          className={`btn btn-small recent-bundle${current === b.dir ? ' btn-current' : ''}`}
          onClick={() => onPick(b.dir)}
          title={`${b.dir}\n${b.title ?? ''} · ${b.state ?? ''}`}
          data-testid="recent-bundle"
          data-dir={b.dir}
          aria-pressed={current === b.dir}
        >
          <span className="mono">{b.dir.split('/').filter(Boolean).at(-1) ?? b.dir}</span> <ShortId value={b.bundleId} n={8} />{' '}
          <span className="muted">
            {stamp(b.createdAt)}
            {b.state ? ` · ${b.state}` : ''}
          </span>
        </button>
      ))}
    </div>
  );
}
