// Custody events, fed by `custody:appended` and re-synced with `custody:list` whenever the
// event stream (re)connects. Keyed by seq, so overlapping snapshots and events merge cleanly.
import { create } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { CustodyEvent } from '../../../shared/api';
import { api } from '../api/client';

export const CUSTODY_PAGE = 1000;

interface CustodyStore {
  /** Newest first. */
  events: CustodyEvent[];
  loaded: boolean;
  error: string | null;
  add(events: CustodyEvent[]): void;
}

export const useCustody = create<CustodyStore>((set) => ({
  events: [],
  loaded: false,
  error: null,
  add: (incoming) =>
    set((s) => {
      const bySeq = new Map(s.events.map((e) => [e.seq, e]));
      for (const e of incoming) bySeq.set(e.seq, e);
      const events = [...bySeq.values()].sort((a, b) => b.seq - a.seq).slice(0, CUSTODY_PAGE);
      return { events };
    }),
}));

export async function syncCustody(): Promise<void> {
  try {
    const events = await api.invoke('custody:list', { limit: CUSTODY_PAGE });
    useCustody.getState().add(events);
    useCustody.setState({ loaded: true, error: null });
  } catch (err) {
    useCustody.setState({ error: err instanceof Error ? err.message : String(err) });
  }
}

export function startCustodyFeed(): () => void {
  return api.on('custody:appended', (e) => useCustody.getState().add([e]));
}

export function useCustodyView(): Pick<CustodyStore, 'events' | 'loaded' | 'error'> {
  return useCustody(useShallow((s) => ({ events: s.events, loaded: s.loaded, error: s.error })));
}
