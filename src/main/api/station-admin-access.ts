import { UsageError } from '../../shared/errors';
import type { Db } from '../db/database';
import type { ActingIdentity } from '../identity/identity-store';
import { adminRoles } from '../identity/station-admin';
import { requireActing, type CallContext } from './call-context';

/** The CLI's caller (cli/context.ts): a CallContext that may also speak for the owner of the data dir. */
export interface CliCallContext extends CallContext {
  /**
   * Set only by the CLI while the station has no admin identity and nobody acts (--as): the OS
   * user who owns the data dir administers the station unsigned, as before any identity existed.
   */
  owner?: true;
}

/**
 * Who may administer the station (pin or revoke keys, policies, station name, syslog): an admin
 * once the station has one (the app: signed in; the CLI: --as ADMIN); before that any signed-in
 * identity, or the CLI's owner unsigned. The one rule for every admin channel.
 */
export function stationAdmin(ctx: CliCallContext, db: Db, what: string): ActingIdentity | undefined {
  const roles = adminRoles(db);
  if (ctx.acting) return requireActing(ctx, roles);
  if (roles) throw new UsageError(`This station has admin identities: ${what} needs --as ADMIN in the CLI, or an admin signed in in the app.`, 'Act as an admin identity of this station.');
  if (ctx.unsigned || ctx.owner) return undefined;
  return requireActing(ctx, roles);
}
