import type { OnboardingStatus, StationView } from '../../shared/api-onboarding';
import { UsageError } from '../../shared/errors';
import { currentIdentity } from '../core/identity';
import type { Identity } from '../custody/custody-store';
import { IdentityStore, type ActingIdentity, type IdentityInfo } from './identity-store';
import { approvalPolicy, stationInfo, withStation } from './station';
import { configureStation, createIdentity, policyMode, type AdminDeps } from './station-admin';

// First launch of a station in the app: name the station, say where it is, and create its
// first identity, which is always an admin (it creates the others, pins keys and sets the
// approval policy). Electron-free; src/main/api/onboarding-handlers.ts carries it.

export function stationView(d: Pick<AdminDeps, 'db'>, env: NodeJS.ProcessEnv = process.env): StationView {
  const info = stationInfo(d.db);
  return {
    ...(info.name ? { name: info.name } : {}),
    ...(info.location ? { location: info.location } : {}),
    effective: withStation(d.db, currentIdentity(env), env).station,
    fromEnvironment: Boolean(env.FERRY_STATION),
  };
}

export function onboardingStatus(d: AdminDeps, env: NodeJS.ProcessEnv = process.env): OnboardingStatus {
  const all = (d.ids ?? new IdentityStore(d.db)).list();
  const station = stationView(d, env);
  const hasAdmin = all.some((i) => i.role === 'admin');
  const policy = approvalPolicy(d.db);
  return {
    // A station named by FERRY_STATION (automation, tests) counts as named.
    needsSetup: all.length === 0 && !station.name && !station.fromEnvironment,
    canCreateFirstAdmin: !hasAdmin,
    identities: all.length,
    hasAdmin,
    station,
    policy: { requireApprovals: policy.requireApprovals, requiredApprovals: policy.requiredApprovals, mode: policyMode(policy) },
  };
}

export interface SetupInput {
  stationName: string;
  location?: string;
  name: string;
  passphrase: string;
}

/**
 * Names the station and creates its first admin. Allowed only while the station has no admin.
 * On a brand-new station anyone who can reach the app may do it (the new admin signs its own
 * events); where identities already exist (made with the CLI, none an admin) one of them must
 * be signed in (`caller`), and signs.
 */
export function setupStation(d: AdminDeps, caller: ActingIdentity | undefined, req: SetupInput): IdentityInfo {
  const ids = d.ids ?? new IdentityStore(d.db);
  const all = ids.list();
  if (all.some((i) => i.role === 'admin')) {
    throw new UsageError('This station is already set up: it has an admin identity.', 'Sign in as an admin and create further identities in Settings.');
  }
  if (all.length > 0 && !caller) {
    throw new UsageError(
      `This station already has identities (${all.map((i) => i.name).join(', ')}) but no admin.`,
      'Sign in as one of them first; the first admin is then created under that identity.',
    );
  }
  const stationName = req.stationName.trim();
  if (!stationName) throw new UsageError('The station needs a name.', 'Use a name people recognise on custody records, e.g. "transfer-station-1".');
  // One transaction: a failure (a weak passphrase, a taken name) leaves no half-set-up station.
  return d.db.transaction(() => {
    const { identity, self } = createIdentity({ ...d, ids }, caller ?? 'self', { name: req.name, role: 'admin', passphrase: req.passphrase });
    configureStation({ ...d, ids }, caller ?? self, { name: stationName, location: req.location ?? '' });
    return identity;
  })();
}

/** After the station's name or location changed: later custody records of this process carry the new ones. */
export function refreshStation(s: { db: AdminDeps['db']; identity: Identity; custody: { setStation(station: string, location?: string): void } }, env: NodeJS.ProcessEnv = process.env): void {
  const next = withStation(s.db, { ...s.identity, station: currentIdentity(env).station, location: undefined }, env);
  s.identity = next.location ? next : (({ location: _l, ...rest }) => rest)(next);
  s.custody.setStation(next.station, next.location);
}
