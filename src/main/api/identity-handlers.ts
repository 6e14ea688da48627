import type { InvokeChannel } from '../../shared/api';
import type { ReviewInvokeApi } from '../../shared/api-review';
import type { Services } from '../core/services';
import { IdentityStore } from '../identity/identity-store';
import { IdentitySession } from '../identity/session';
import type { Handlers } from './handlers';

// The acting identity of a long-running process (Electron app, `ferry serve`): one session
// per Services, so the CLI (one command per process) never holds one.
const sessions = new WeakMap<Services, IdentitySession>();

export function sessionFor(s: Services): IdentitySession {
  let session = sessions.get(s);
  if (!session) {
    session = new IdentitySession(s.db);
    sessions.set(s, session);
  }
  return session;
}

type IdentityChannels = 'identity:list' | 'identity:current' | 'identity:login' | 'identity:logout';
type Fns = { [C in IdentityChannels]: ReviewInvokeApi[C] };

export function identityHandlers(s: Services): Fns {
  const session = sessionFor(s);
  return {
    'identity:list': async () => new IdentityStore(s.db).list().map(({ name, role, fingerprint, createdAt }) => ({ name, role, fingerprint, createdAt })),
    'identity:current': async () => session.info(),
    // The passphrase goes to the unlock and nowhere else: not into a record, a job or a log.
    'identity:login': async ({ name, passphrase }) => {
      const info = session.login(name, passphrase);
      const acting = session.require();
      // Signed with the unlocked key: proof that this identity, not just its name, logged in.
      s.custody.append({ as: { actor: acting.name, signer: acting }, type: 'login', role: acting.role, details: { fingerprint: acting.fingerprint } });
      return info;
    },
    'identity:logout': async () => {
      const was = session.info().acting;
      const info = session.logout();
      if (was) s.custody.append({ type: 'logout', role: was.role, details: { name: was.name } });
      return info;
    },
  };
}

/** Any request but a status poll counts as activity and postpones the auto-lock. */
const PASSIVE: readonly InvokeChannel[] = ['identity:current', 'job:list', 'job:get'];

export function trackActivity(s: Services, handlers: Handlers): Handlers {
  const session = sessionFor(s);
  const out = {} as Record<InvokeChannel, (arg: unknown) => Promise<unknown>>;
  for (const [channel, fn] of Object.entries(handlers) as [InvokeChannel, (arg: unknown) => Promise<unknown>][]) {
    out[channel] = PASSIVE.includes(channel)
      ? fn
      : async (arg) => {
          session.touch();
          return fn(arg);
        };
  }
  return out as unknown as Handlers;
}
