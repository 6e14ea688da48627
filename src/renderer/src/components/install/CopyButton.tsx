import { useEffect, useState } from 'react';

type CopyState = 'idle' | 'copied' | 'failed';
const TEXT: Record<CopyState, string> = { idle: 'Copy', copied: 'Copied', failed: 'Select & copy' };

/** Puts a value on the clipboard. Fixed width, so the label change does not move the row. */
export function CopyButton({ value, label, testId }: { value: string; label: string; testId?: string }) {
  const [state, setState] = useState<CopyState>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(t);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      // No clipboard permission (e.g. an insecure origin): the value stays selectable on screen.
      setState('failed');
    }
  };
  return (
    <button type="button" className="btn btn-small btn-copy" aria-label={`Copy ${label}`} data-testid={testId} data-state={state} onClick={() => void copy()}>
      <span aria-live="polite">{TEXT[state]}</span>
    </button>
  );
}
