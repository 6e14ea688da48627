// Station facts from `app:info`, and which screen is showing.
import { create } from 'zustand';
import type { AppInfo } from '../../../shared/api';
import { api } from '../api/client';

export type Screen = 'create' | 'media' | 'review' | 'receive' | 'verify' | 'install' | 'upgrade' | 'custody' | 'trust' | 'settings';

interface AppStore {
  info: AppInfo | null;
  infoError: string | null;
  screen: Screen;
  go(screen: Screen): void;
  /** A bundle id the custody log opens filtered to (set by links such as the install wizard's). */
  custodyBundle: string;
  showCustody(bundleId: string): void;
}

export const useApp = create<AppStore>((set) => ({
  info: null,
  infoError: null,
  screen: 'create',
  go: (screen) => set({ screen, custodyBundle: '' }),
  custodyBundle: '',
  showCustody: (bundleId) => set({ screen: 'custody', custodyBundle: bundleId }),
}));

export async function loadAppInfo(): Promise<void> {
  try {
    useApp.setState({ info: await api.invoke('app:info', {}), infoError: null });
  } catch (err) {
    useApp.setState({ infoError: err instanceof Error ? err.message : String(err) });
  }
}
