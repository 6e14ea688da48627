import type { ReactNode } from 'react';
import { useActing } from '../state/session';

/** Beside an acting button: says that signing in is needed (reading needs no login). Renders nothing once signed in. */
export function SignInHint({ to }: { to: string }) {
  const acting = useActing();
  if (acting) return null;
  return (
    <span className="muted sign-in-hint" data-testid="sign-in-hint">
      Sign in (top right) to {to}.
    </span>
  );
}

/**
 * Wraps the buttons of an action: disabled (a disabled fieldset disables every control in it)
 * with "Sign in to …" until someone is signed in in this window. The server refuses anyway.
 */
export function ActingOnly({ to, children }: { to: string; children: ReactNode }) {
  const acting = useActing();
  return (
    <fieldset disabled={!acting} className="acting-only" style={{ border: 0, padding: 0, margin: 0, minWidth: 0, display: 'contents' }} data-testid="acting-only">
      {children}
      <SignInHint to={to} />
    </fieldset>
  );
}
