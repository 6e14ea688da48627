// Who is acting in this app session (identity:login). Only the login call ever carries the
// passphrase; this store never holds it.
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
