import { hostname, userInfo } from 'node:os';
import type { Identity } from '../custody/custody-store';

/** Who is acting, until identities with keys arrive: FERRY_ACTOR / FERRY_STATION or the OS user and host. */
export function currentIdentity(env: NodeJS.ProcessEnv = process.env): Identity {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return { actor: env.FERRY_ACTOR || user, station: env.FERRY_STATION || hostname() };
}
