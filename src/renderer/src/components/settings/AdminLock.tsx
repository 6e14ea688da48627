import { adminLockReason } from './useStationStatus';

/** Says why a form is locked and what to do, instead of letting a click fail. */
export function AdminLock({ acting, testId }: { acting: { name: string; role: string } | null; testId: string }) {
  return (
    <p className="admin-note" role="note" data-testid={testId}>
      {adminLockReason(acting)}
    </p>
  );
}
