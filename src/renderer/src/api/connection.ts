import { create } from 'zustand';

/**
 * Health of the event stream. The Electron transport is always 'live'; the HTTP transport
 * moves between 'connecting', 'live' and 'reconnecting', or 'unauthorized' when the server
 * rejects the token. Stores re-sync whenever the stream becomes live again, because events
 * sent while it was down are lost.
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

interface ConnectionStore {
  state: ConnectionState;
  /** Incremented on every transition to 'live'. */
  epoch: number;
  set(state: ConnectionState): void;
}

export const useConnection = create<ConnectionStore>((set) => ({
  state: 'connecting',
  epoch: 0,
  set: (state) => set((s) => (s.state === state ? s : { state, epoch: state === 'live' ? s.epoch + 1 : s.epoch })),
}));
