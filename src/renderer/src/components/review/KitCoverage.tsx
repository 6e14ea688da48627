import type { KitCoverageView } from '../../../../shared/api-review';

/** Offline verify's word on the offline kit: which approvals record its digest; uncovered is a warning, not a failure. */
export function KitCoverage({ kit, testId }: { kit: KitCoverageView; testId: string }) {
  const covered = kit.coveredBy.length > 0;
  return (
    <p className={`small ${covered ? '' : 'text-bad'}`} data-testid={testId} data-covered={String(covered)}>
      {covered
        ? `Offline kit ${kit.sha256} covered by approval of ${kit.coveredBy.map((c) => c.name).join(', ')}`
        : `Warning: offline kit ${kit.sha256} not covered by an approval (the approval gate covers the bundle content, not this tool)`}
    </p>
  );
}
