import { useCallback, useEffect, useState } from 'react';
import type { OnboardingStatus } from '../../../../shared/api-onboarding';
import { api } from '../../api/client';
import { useSession } from '../../state/session';

/** The station's setup (name, policy, whether it has an admin) and whether the signed-in identity may administer it. */
export function useStationStatus(): { status: OnboardingStatus | null; error: unknown; reload: () => void; mayAdminister: boolean; acting: { name: string; role: string } | null } {
  const [status, setStatus] = useState<OnboardingStatus | null>(null);
  const [error, setError] = useState<unknown>(null);
  const acting = useSession((s) => s.session?.acting ?? null);
  const reload = useCallback(() => {
    api.invoke('onboarding:status', {}).then(
      (s) => {
        setStatus(s);
        setError(null);
      },
      (err: unknown) => setError(err),
    );
  }, []);
  useEffect(reload, [reload]);
  // The service decides; this only says in advance why a form is locked. Same rule: an admin once the station has one.
  const mayAdminister = acting !== null && (status?.hasAdmin === false || acting.role === 'admin');
  return { status, error, reload, mayAdminister, acting };
}

/** What to tell someone who may not administer the station. */
export function adminLockReason(acting: { name: string; role: string } | null): string {
  return acting
    ? `${acting.name} is signed in as ${acting.role}: only an admin can change this. Sign in as an admin (top right).`
    : 'Sign in as an admin (top right) to change this. Reading needs no sign-in.';
}
