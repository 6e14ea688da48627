import type { InvokeChannel } from '../../shared/api';
import type { ReviewInvokeApi, SessionInfo } from '../../shared/api-review';
import { UsageError } from '../../shared/errors';
import type { Services } from '../core/services';
import { IdentityStore } from '../identity/identity-store';
import { lockMinutesFromEnv, type SessionSlot } from '../identity/session';
import type { CallContext } from './call-context';

type IdentityChannels = 'identity:list' | 'identity:current' | 'identity:login' | 'identity:logout';
type Fns = { [C in IdentityChannels]: (arg: Parameters<ReviewInvokeApi[C]>[0], ctx: CallContext) => ReturnType<ReviewInvokeApi[C]> };

/** Status polls: they do not count as activity, so an idle session still locks. */
const PASSIVE: readonly string[] = ['identity:current', 'job:list', 'job:get'];

/**
 * The call context of one request from a caller with a login slot (a browser session, an app
 * window): any request but a status poll counts as activity and postpones the auto-lock.
 */
export function contextOf(slot: SessionSlot, channel: string): CallContext {
  const acting = slot.current(!PASSIVE.includes(channel as InvokeChannel));
  return { session: slot, ...(acting ? { acting } : {}) };
}

/** What identity:current says where there is no login slot (the CLI: --as, else nobody). */
function fixedInfo(ctx: CallContext): SessionInfo {
  const a = ctx.acting;
  return { acting: a ? { name: a.name, role: a.role, fingerprint: a.fingerprint } : null, lockAfterMinutes: lockMinutesFromEnv() };
}

/** Logins belong to the caller (ctx.session), never to the server. */
export function identityHandlers(s: Services): Fns {
  return {
    'identity:list': async () => new IdentityStore(s.db).list().map(({ name, role, fingerprint, createdAt }) => ({ name, role, fingerprint, createdAt })),
    'identity:current': async (_arg, ctx) => ctx.session?.info() ?? fixedInfo(ctx),
    // The passphrase goes to the unlock and nowhere else: not into a record, a job or a log.
    'identity:login': async ({ name, passphrase }, ctx) => {
      if (!ctx.session) throw new UsageError('Signing in belongs to the app or a browser session.', 'In the CLI, pass --as NAME to the command that acts.');
      const { info, acting } = ctx.session.login(name, passphrase);
      // Signed with the unlocked key: proof that this identity, not just its name, signed in.
      s.custody.append({ as: { actor: acting.name, signer: acting }, type: 'login', role: acting.role, details: { fingerprint: acting.fingerprint } });
      return info;
    },
    'identity:logout': async (_arg, ctx) => {
      const was = ctx.acting;
      const info = ctx.session ? ctx.session.logout() : fixedInfo({});
      if (was) s.custody.append({ as: { actor: was.name, signer: was }, type: 'logout', role: was.role, details: { fingerprint: was.fingerprint } });
      return info;
    },
  };
}
