import type { AntivirusStateView } from '../../shared/api-overrides';
import { antivirusText } from '../../shared/antivirus-text';
import type { BundleManifest } from '../bundle/manifest-schema';

export { antivirusText };

/** Each scanned model's antivirus result, with the signature database date when the report carries one. */
export function antivirusStates(m: BundleManifest): AntivirusStateView[] {
  const out: AntivirusStateView[] = [];
  for (const a of m.artifacts) {
    if (a.kind !== 'model' || !a.scan) continue;
    const av = a.scan.antivirus as typeof a.scan.antivirus & { signaturesDate?: string };
    out.push({
      artifact: a.name,
      status: av.status,
      ...(av.engine ? { engine: av.engine } : {}),
      ...(av.detail ? { detail: av.detail } : {}),
      ...(av.signaturesDate ? { signaturesDate: av.signaturesDate } : {}),
    });
  }
  return out;
}

/**
 * Under `requireCleanAntivirus`, why approval must refuse: every scanned model's antivirus
 * result must be 'clean'. Undefined when the policy is met or off.
 */
export function antivirusProblem(states: readonly AntivirusStateView[], requireClean: boolean): string | undefined {
  if (!requireClean) return undefined;
  const bad = states.filter((s) => s.status !== 'clean');
  if (bad.length === 0) return undefined;
  return `antivirus is not clean for ${bad.map((s) => `${s.artifact}: ${antivirusText(s)}`).join('; ')}; this station's setting requireCleanAntivirus (on by default) needs a clean antivirus result before approval`;
}
