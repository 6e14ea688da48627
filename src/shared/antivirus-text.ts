import type { AntivirusStateView } from './api-overrides';

/** The state's own name, as loud as a finding: never a small tag. */
export const ANTIVIRUS_STATE: Record<AntivirusStateView['status'], string> = {
  clean: 'clean',
  infected: 'INFECTED',
  'not-run': 'NOT RUN',
  error: 'ERROR',
};

/** "signatures of 2026-11-30", or that the date is unknown. */
export function signaturesText(s: Pick<AntivirusStateView, 'signaturesDate'>): string {
  return s.signaturesDate ? `signatures of ${s.signaturesDate}` : 'signature database date unknown';
}

/** "ERROR (ClamAV 1.0: no signature database; signature database date unknown)": the state in plain words. */
export function antivirusText(s: AntivirusStateView): string {
  const extra = [s.engine, s.detail, s.status === 'clean' && !s.signaturesDate ? undefined : signaturesText(s)].filter(Boolean);
  return `${ANTIVIRUS_STATE[s.status]}${extra.length ? ` (${extra.join('; ')})` : ''}`;
}
