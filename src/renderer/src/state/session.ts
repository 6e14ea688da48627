// Who is acting in this window / browser tab (identity:login): the login belongs to it, not to
// the server, so another tab or browser starts signed out. Only the login call ever carries
// the passphrase; this store never holds it.
import { create } from 'zustand';
import type { SessionInfo } from '../../../shared/api-review';
import { api } from '../api/client';

interface SessionStore {
  session: SessionInfo | null;
  set(session: SessionInfo): void;
}

export const useSession = create<SessionStore>((set) => ({
  session: null,
  set: (session) => set({ session }),
}));

/** The signed-in identity of this window/tab, or null: acting buttons are disabled without one. */
export function useActing(): SessionInfo['acting'] {
  return useSession((s) => s.session?.acting ?? null);
}

export async function refreshSession(): Promise<void> {
  try {
    useSession.getState().set(await api.invoke('identity:current', {}));
  } catch {
    // Not fatal: the top bar keeps its last state until the service answers again.
  }
}

/** Re-reads the session every 20 s so an auto-lock on the server shows here. */
export function startSessionPoll(): () => void {
  void refreshSession();
  const t = setInterval(() => void refreshSession(), 20_000);
  return () => clearInterval(t);
}
