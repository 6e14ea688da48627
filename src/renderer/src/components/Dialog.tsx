import { useEffect, useId, useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { useFocusTrap } from './useFocusTrap';

/**
 * A modal dialog: rendered over everything (a portal on <body>), the rest of the page inert while it
 * is open, focus inside it and trapped there, Escape or a click on the backdrop closes it, and focus
 * returns to the control that opened it. Put `data-autofocus` on the control that should get focus first.
 */
export function Dialog({
  title,
  onClose,
  children,
  testId,
  returnFocus,
  describedBy,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  testId?: string;
  /** Where focus goes on close when the opener is gone. */
  returnFocus?: () => HTMLElement | null;
  describedBy?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  // Order matters: the trap notes the opener before the page behind goes inert (which blurs it).
  useFocusTrap(ref, onClose, returnFocus);
  useBackgroundInert();
  return createPortal(
    <div className="modal-backdrop" role="presentation" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div ref={ref} className="panel modal" role="dialog" aria-modal="true" aria-labelledby={titleId} aria-describedby={describedBy} tabIndex={-1} data-testid={testId}>
        <h2 id={titleId}>{title}</h2>
        {children}
      </div>
    </div>,
    document.body,
  );
}

/** Marks the app root inert (no focus, no clicks, hidden from assistive tech) while a dialog is open. */
function useBackgroundInert(): void {
  useEffect(() => {
    const root = document.getElementById('root');
    if (!root || root.hasAttribute('inert')) return;
    root.setAttribute('inert', '');
    return () => root.removeAttribute('inert');
  }, []);
}
