import { UsageError } from '../../shared/errors';
import { passphraseStrength } from '../../shared/passphrase-strength';
import type { CustodyStore, Signer } from '../custody/custody-store';
import type { Db } from '../db/database';
import { IdentityStore, type ActingIdentity, type IdentityInfo, type PublicKeyFile } from './identity-store';
import type { Role } from './keys';
import { approvalPolicy, setSetting, stationInfo, type ApprovalPolicy, type StationInfo } from './station';

// Station administration, one function per action, shared by the CLI (`ferry identity create`,
// `ferry identity station`, `ferry trust policy`) and the app's Settings. Each validates its
// input, makes the change and records the custody event, signed by `by` when an identity acts.
// Who may call them is decided by the caller: the CLI's actAsAdmin, the API's requireActing.

/**
 * Who may administer the station: an admin once the station has one; before that (a station
 * set up with the CLI, no admin yet) any signed-in identity. The app passes this to requireActing.
 */
export function adminRoles(db: Db): readonly Role[] | undefined {
  return new IdentityStore(db).list().some((i) => i.role === 'admin') ? ['admin'] : undefined;
}

export interface AdminDeps {
  db: Db;
  custody: Pick<CustodyStore, 'append'>;
  /** Defaults to an IdentityStore on `db` (tests pass one with a cheaper KDF). */
  ids?: IdentityStore;
}

function record(d: AdminDeps, by: { name: string } & Signer | undefined, type: string, details: Record<string, unknown>): void {
  d.custody.append({ ...(by ? { as: { actor: by.name, signer: by } } : {}), type, role: 'admin', details });
}

export interface NewIdentity {
  name: string;
  role: string;
  passphrase: string;
}

/**
 * Creates an identity; refuses a passphrase `passphraseStrength` does not accept. `by: 'self'`
 * (the first admin, created before anyone could sign in) unlocks the new key and signs its own
 * `identity-created` event; that unlocked identity is returned as `self`.
 */
export function createIdentity(d: AdminDeps, by: ActingIdentity | 'self' | undefined, req: NewIdentity): { identity: IdentityInfo; self?: ActingIdentity } {
  const strength = passphraseStrength(req.passphrase, [req.name]);
  if (!strength.acceptable) throw new UsageError(`The passphrase for ${req.name} is not accepted. ${strength.summary}`, strength.advice.join(' '));
  const ids = d.ids ?? new IdentityStore(d.db);
  const identity = ids.create(req.name, req.role, req.passphrase);
  const self = by === 'self' ? ids.unlock(identity.name, req.passphrase) : undefined;
  record(d, by === 'self' ? self : by, 'identity-created', { name: identity.name, role: identity.role, fingerprint: identity.fingerprint });
  return { identity, ...(self ? { self } : {}) };
}

/** Sets the station's name and/or location (an empty value clears it); records `station-configured`. */
export function configureStation(d: AdminDeps, by: ActingIdentity | undefined, req: { name?: string; location?: string }): StationInfo {
  if (req.name === undefined && req.location === undefined) throw new UsageError('Nothing to change: give a station name or a location.');
  for (const [field, v] of [['name', req.name], ['location', req.location]] as const) {
    if (v !== undefined && [...v.trim()].length > 200) throw new UsageError(`The station ${field} is too long (at most 200 characters).`);
    if (v !== undefined && /[\u0000-\u001f\u007f]/u.test(v)) throw new UsageError(`The station ${field} contains control characters.`, 'Use one line of plain text.');
  }
  if (req.name !== undefined) setSetting(d.db, 'station.name', req.name.trim() || undefined);
  if (req.location !== undefined) setSetting(d.db, 'station.location', req.location.trim() || undefined);
  const info = stationInfo(d.db);
  record(d, by, 'station-configured', { ...info });
  return info;
}

export type PolicyMode = 'on' | 'off' | 'auto';

/** Sets how many distinct pinned reviewers an import needs (1 or 2) and/or whether approvals are required; records `policy-changed`. */
export interface PolicyRequest {
  requiredApprovals?: string | number;
  requireApprovals?: string;
}

/** Checks a policy change before anyone is asked to sign it (the CLI calls this before prompting). */
export function checkPolicyRequest(req: PolicyRequest): { n?: string; mode?: PolicyMode } {
  const n = req.requiredApprovals === undefined ? undefined : String(req.requiredApprovals);
  const mode = req.requireApprovals;
  if (n === undefined && mode === undefined) throw new UsageError('Nothing to change: give the number of approvals or whether they are required.');
  if (n !== undefined && !['1', '2'].includes(n)) throw new UsageError('The number of required approvals must be 1 or 2.', 'With 2, two different pinned reviewers must approve each bundle.');
  if (mode !== undefined && !['on', 'off', 'auto'].includes(mode)) throw new UsageError('Whether approvals are required must be on, off or auto.', 'auto: required as soon as any reviewer key has been pinned.');
  return { ...(n !== undefined ? { n } : {}), ...(mode !== undefined ? { mode: mode as PolicyMode } : {}) };
}

export function setApprovalPolicy(d: AdminDeps, by: ActingIdentity | undefined, req: PolicyRequest): ApprovalPolicy {
  const { n, mode } = checkPolicyRequest(req);
  if (n !== undefined) setSetting(d.db, 'policy.requiredApprovals', n);
  if (mode !== undefined) setSetting(d.db, 'policy.requireApprovals', mode === 'auto' ? undefined : String(mode === 'on'));
  const policy = approvalPolicy(d.db);
  record(d, by, 'policy-changed', { ...policy });
  return policy;
}

export function policyMode(p: ApprovalPolicy): PolicyMode {
  return p.source === 'default' ? 'auto' : p.requireApprovals ? 'on' : 'off';
}

/** The bytes of a public key file, exactly as `ferry identity export-public --out` writes them. */
export function publicKeyFileText(file: PublicKeyFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
