import { useEffect, useRef, type RefObject } from 'react';

const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  'summary',
  '[tabindex]:not([tabindex="-1"])',
].join(',');

/** The elements inside `root` that Tab reaches, in order (hidden ones left out). */
export function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.tabIndex >= 0 && el.getClientRects().length > 0);
}

/**
 * While mounted: focus moves into `ref` (its `[data-autofocus]` element, else its first control, else
 * the container), Tab and Shift-Tab cycle inside it, Escape calls `onClose`, and focus cannot land
 * behind it. On unmount focus returns to the element that had it before (or `fallback()` when that
 * element is gone, e.g. the "Log in" button replaced by "Log out").
 */
export function useFocusTrap(ref: RefObject<HTMLElement | null>, onClose: () => void, fallback?: () => HTMLElement | null): void {
  const close = useRef(onClose);
  close.current = onClose;
  const back = useRef(fallback);
  back.current = fallback;
  const openerRef = useRef<HTMLElement | null>(null);
  useEffect(() => {
    const root = ref.current;
    if (!root) return;
    // (StrictMode mounts twice: the second time focus is already inside, and the opener is the first one's.)
    const active = document.activeElement;
    if (active instanceof HTMLElement && !root.contains(active)) openerRef.current = active;
    const opener = openerRef.current;
    // The [data-autofocus] control when it can take focus now (a disabled one cannot), else the first control.
    const wanted = root.querySelector<HTMLElement>('[data-autofocus]');
    const first = (wanted && focusables(root).includes(wanted) ? wanted : null) ?? focusables(root)[0] ?? root;
    first.focus();

    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        close.current();
        return;
      }
      if (e.key !== 'Tab') return;
      const items = focusables(root);
      if (items.length === 0) {
        e.preventDefault();
        root.focus();
        return;
      }
      const head = items[0]!;
      const tail = items[items.length - 1]!;
      const active = document.activeElement;
      const inside = active instanceof Node && root.contains(active);
      if (e.shiftKey && (!inside || active === head || active === root)) {
        e.preventDefault();
        tail.focus();
      } else if (!e.shiftKey && (!inside || active === tail)) {
        e.preventDefault();
        head.focus();
      }
    };
    // Focus that lands outside (a click on the backdrop, a programmatic focus) is brought back.
    const onFocusIn = (e: FocusEvent) => {
      if (e.target instanceof Node && !root.contains(e.target)) (focusables(root)[0] ?? root).focus();
    };
    document.addEventListener('keydown', onKey, true);
    document.addEventListener('focusin', onFocusIn);
    return () => {
      document.removeEventListener('keydown', onKey, true);
      document.removeEventListener('focusin', onFocusIn);
      // After React has committed the new tree: the opener may have been replaced.
      setTimeout(() => {
        const target = opener?.isConnected ? opener : (back.current?.() ?? null);
        if (target && (document.activeElement === document.body || document.activeElement === null)) target.focus();
      }, 0);
    };
  }, [ref]);
}
