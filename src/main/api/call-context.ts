import { UsageError } from '../../shared/errors';
import type { ActingIdentity } from '../identity/identity-store';
import type { Role } from '../identity/keys';
import type { SessionSlot } from '../identity/session';

/** Who is calling: the identity signed in on THIS browser session / Electron window / CLI --as. */
export interface CallContext {
  acting?: ActingIdentity;
  /** This caller's login (browser session, window): only the identity:* handlers use it. The CLI has none. */
  session?: SessionSlot;
  /**
   * Set only by the CLI on a station that has no identities yet (nothing to sign with): acting
   * channels then run unsigned, as the OS user, and what they create cannot be approved.
   */
  unsigned?: true;
}

/** A call nobody signed in for (reading channels, tests of reading handlers). */
export const ANONYMOUS: CallContext = Object.freeze({});

/** The signed-in identity (optionally of one of `roles`), else UsageError 'Sign in first …' naming the roles. */
export function requireActing(ctx: CallContext, roles?: readonly Role[]): ActingIdentity {
  const acting = ctx.acting;
  const needs = roles && roles.length ? roles.map((r) => `${article(r)} ${r}`).join(' or ') : undefined;
  if (!acting) {
    throw new UsageError(
      `Sign in first: this action is recorded under a named identity${needs ? ` (${needs})` : ''}.`,
      'In the app, sign in with your identity and passphrase (top right); in the CLI, pass --as NAME.',
    );
  }
  if (roles && roles.length && !roles.includes(acting.role)) {
    throw new UsageError(`${acting.name} is ${article(acting.role)} ${acting.role}; this needs ${needs}.`, `Sign in as ${needs} to do this.`);
  }
  return acting;
}

/**
 * For the channels the CLI may run before any identity exists (create, verify, import, media,
 * install): the signed-in identity, or undefined when `ctx.unsigned`; else as requireActing.
 */
export function actingIfAny(ctx: CallContext, roles?: readonly Role[]): ActingIdentity | undefined {
  if (!ctx.acting && ctx.unsigned) return undefined;
  return requireActing(ctx, roles);
}

/** For custody appends made on behalf of the caller: `s.custody.append({ ...asCaller(acting), type, role, ... })`. */
export function asCaller(acting: ActingIdentity): { as: { actor: string; signer: ActingIdentity } } {
  return { as: { actor: acting.name, signer: acting } };
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
