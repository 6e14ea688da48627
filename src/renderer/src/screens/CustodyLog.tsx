import { useEffect, useState } from 'react';
import type { CustodyEvent } from '../../../shared/api';
import { Digest, ShortId } from '../components/Mono';
import { stamp } from '../components/time';
import { api } from '../api/client';
import { CustodyChainPanel } from '../components/CustodyChainPanel';
import { useApp } from '../state/app';
import { Fields, isFailedCheck, SignedMark } from '../components/EventFields';
import { useCustody, useCustodyView } from '../state/custody';
import { DataTable } from '../components/DataTable';

function matches(e: CustodyEvent, q: string): boolean {
  if (!q) return true;
  const hay = `${e.type} ${e.actor} ${e.role} ${e.station} ${e.bundleId ?? ''} ${e.hash}`.toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((t) => hay.includes(t));
}

export function CustodyLog() {
  const { events, loaded, error } = useCustodyView();
  const [q, setQ] = useState('');
  const [bundle, setBundle] = useState(() => useApp.getState().custodyBundle);
  const bundleId = bundle.trim().toLowerCase();
  useEffect(() => {
    // A full bundle id: fetch all of its events, also those older than the live page.
    if (/^[0-9a-f-]{36}$/.test(bundleId)) void api.invoke('custody:list', { bundleId, limit: 10_000 }).then((evs) => useCustody.getState().add(evs), () => undefined);
  }, [bundleId]);
  // Rows recorded while this screen is open are highlighted briefly.
  const maxSeq = events[0]?.seq ?? 0;
  const [baseline, setBaseline] = useState<number | null>(() => (loaded ? maxSeq : null));
  useEffect(() => {
    if (baseline === null && loaded) setBaseline(maxSeq);
  }, [baseline, loaded, maxSeq]);
  const shown = events.filter((e) => matches(e, q) && (!bundleId || (e.bundleId ?? '').startsWith(bundleId)));
  return (
    <div className="screen screen-wide">
      <header className="screen-head">
        <h1>Custody log</h1>
        <p className="lede">
          Every step by every role, hash-chained. Newest first; new events appear as they are recorded.
        </p>
      </header>
      <div className="toolbar">
        <input
          className="search"
          type="search"
          placeholder="Filter by type, actor, station, bundle id…"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          data-testid="custody-filter"
          aria-label="Filter events"
        />
        <input
          className="search search-bundle"
          placeholder="Bundle id"
          value={bundle}
          onChange={(e) => setBundle(e.target.value)}
          data-testid="custody-bundle"
          aria-label="Show one bundle's timeline"
          spellCheck={false}
        />
        <span className="muted" data-testid="custody-count">
          {q || bundleId ? `${shown.length} of ${events.length}` : events.length} events
        </span>
      </div>
      <CustodyChainPanel bundleId={/^[0-9a-f-]{36}$/.test(bundleId) ? bundleId : ''} eventCount={events.length} />
      {error && (
        <div className="alert alert-bad" role="alert">
          <div className="alert-title">Could not load the custody log</div>
          <div className="alert-message">{error}</div>
        </div>
      )}
      <div className="panel panel-flush">
        <DataTable className="table-custody" columns={[{ label: 'Seq', className: 'num' }, 'Time', 'Type', 'Actor (role)', 'Station', 'Bundle', 'Details', 'Signed', 'Hash']}>
          {shown.map((e) => (
            <tr
              key={e.seq}
              data-testid="custody-row"
              data-type={e.type}
              data-seq={e.seq}
              data-failed={isFailedCheck(e) ? 'true' : undefined}
              className={[baseline !== null && e.seq > baseline ? 'row-new' : '', isFailedCheck(e) ? 'row-failed' : ''].filter(Boolean).join(' ') || undefined}
            >
              <td className="num muted">{e.seq}</td>
              <td className="num nowrap cell-time" title={e.at}>
                <span className="nowrap">{stamp(e.at).split(' ')[0]}</span> <span className="nowrap">{stamp(e.at).split(' ')[1]}</span>
              </td>
              <td>
                <code className="event-type" data-type={e.type}>
                  {e.type}
                </code>
              </td>
              <td>
                <span className="nowrap">{e.actor}</span> <span className="muted nowrap">({e.role})</span>
              </td>
              <td className="nowrap">{e.station}</td>
              <td>
                <ShortId value={e.bundleId} n={10} />
              </td>
              <td className="cell-details">
                {isFailedCheck(e) && (
                  <span className="badge badge-bad" data-testid="custody-failed-check">
                    check failed
                  </span>
                )}
                <Fields details={e.details} />
              </td>
              <td className="cell-signed">
                <SignedMark e={e} />
              </td>
              <td className="cell-hash">
                <Digest value={e.hash} />
              </td>
            </tr>
          ))}
          {shown.length === 0 && (
            <tr>
              <td colSpan={9} className="empty">
                {!loaded ? 'Loading…' : q ? 'No events match the filter.' : 'No custody events yet.'}
              </td>
            </tr>
          )}
        </DataTable>
      </div>
    </div>
  );
}
