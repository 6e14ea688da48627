import { UsageError } from '../../shared/errors';
import type { Services } from '../core/services';
import { IdentityStore, type ActingIdentity } from './identity-store';
import type { Role } from './keys';
import { readPassphrase, type PassphraseSource } from './passphrase';

// The CLI runs one command per process and acts as at most one identity (--as NAME, or
// FERRY_AS for automation). The app and `ferry serve` never use this: their callers sign in
// per window / browser session and each call carries its own identity (api/call-context.ts).
const cliActing = new WeakMap<Services, ActingIdentity>();

/** Makes `acting` the actor of this CLI process: every later custody event of these services is theirs, signed. */
export function actAs(s: Services, acting: ActingIdentity): void {
  cliActing.set(s, acting);
  s.identity = { ...s.identity, actor: acting.name, fingerprint: acting.fingerprint };
  s.custody.actAs(s.identity, { fingerprint: acting.fingerprint, sign: acting.sign });
}

/** The identity this CLI process acts as, if one was unlocked. */
export function actingOf(s: Services): ActingIdentity | undefined {
  return cliActing.get(s);
}

/** Unlocks NAME with a passphrase (stdin, FERRY_PASSPHRASE or a prompt) and acts as it; once per process. */
export async function unlockAndAct(s: Services, name: string, src: PassphraseSource, roles?: readonly Role[]): Promise<ActingIdentity> {
  const store = new IdentityStore(s.db);
  const info = store.get(name);
  if (roles && !roles.includes(info.role)) {
    throw new UsageError(`${name} is ${article(info.role)} ${info.role}; this needs ${roles.map((r) => `${article(r)} ${r}`).join(' or ')}.`);
  }
  const already = cliActing.get(s);
  if (already?.name === name) return already;
  const acting = store.unlock(name, await readPassphrase(`unlock ${name}`, src));
  actAs(s, acting);
  return acting;
}

/**
 * For automation: FERRY_AS=NAME with FERRY_PASSPHRASE makes that identity act and sign, as
 * --as NAME would. Without FERRY_AS nothing changes.
 */
export function actAsFromEnv(s: Services, env: NodeJS.ProcessEnv = process.env): void {
  const name = env.FERRY_AS;
  if (!name) return;
  if (!env.FERRY_PASSPHRASE) throw new UsageError('FERRY_AS is set but FERRY_PASSPHRASE is not.', 'Set both, or neither.');
  actAs(s, new IdentityStore(s.db).unlock(name, env.FERRY_PASSPHRASE));
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
