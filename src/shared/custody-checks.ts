import type { CustodyEvent } from './api';

/**
 * Whether a custody event records a check that did not pass: a verify with `ok: false` or problems,
 * a seal found broken, a refusal. The custody log highlights these rows; the report should too.
 */
export function isFailedCheck(e: Pick<CustodyEvent, 'type' | 'details'>): boolean {
  const d = e.details ?? {};
  if (d.ok === false || d.sealIntact === false || d.intact === false) return true;
  if (typeof d.problems === 'number' && d.problems > 0) return true;
  if (Array.isArray(d.problems) && d.problems.length > 0) return true;
  return /(^|-)(refused|failed|mismatch|tampered)($|-)/.test(e.type);
}
