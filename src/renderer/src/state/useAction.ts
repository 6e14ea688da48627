import { useCallback, useState } from 'react';

export interface Action {
  /** True while `run`'s work is in flight. */
  busy: boolean;
  /** What the last run threw (shown with ErrorBox), or null. */
  error: unknown;
  setError(error: unknown): void;
  /** Clears the error, marks busy, runs `work`; keeps what it throws in `error` (then calls `onError`, to undo what the work stood for). */
  run(work: () => Promise<void>, onError?: () => void): Promise<void>;
}

/** The busy flag and error of one async user action (a form submit, a button), in one place. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (work: () => Promise<void>, onError?: () => void) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(err);
      onError?.();
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}
