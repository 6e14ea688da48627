import { UsageError } from '../../shared/errors';
import type { CustodyStore } from '../custody/custody-store';
import type { Db } from '../db/database';
import { IdentityStore, type ActingIdentity } from '../identity/identity-store';
import { parseStationPolicy, type SignatureRule, type StationSignaturePolicy, type UnmatchedDefault } from '../signatures/policy';

// The station's signature policy (docs/supply-chain.md, "Signature policy"), kept in the settings
// table as JSON. Changing it needs a signed-in admin once the station has one; each change is a custody event.

export const SIGNATURE_POLICY_KEY = 'signatures.policy';

export function stationSignaturePolicy(db: Db): StationSignaturePolicy {
  const raw = (db.prepare('SELECT value FROM settings WHERE key = ?').get(SIGNATURE_POLICY_KEY) as { value: string } | undefined)?.value;
  return parseStationPolicy(raw);
}

export type PolicyChange = { add: SignatureRule } | { remove: string } | { unmatched: UnmatchedDefault };

/** Applies one change and saves the policy; returns the new policy. */
export function changeSignaturePolicy(s: { db: Db; custody: CustodyStore }, acting: ActingIdentity | undefined, change: PolicyChange): StationSignaturePolicy {
  const hasAdmin = new IdentityStore(s.db).list().some((i) => i.role === 'admin');
  if (hasAdmin && acting?.role !== 'admin') {
    throw new UsageError('This station has admin identities: changing the signature policy needs an admin to be signed in.', 'Sign in as an admin (CLI: --as ADMIN).');
  }
  const p = stationSignaturePolicy(s.db);
  let next: StationSignaturePolicy;
  let details: Record<string, unknown>;
  if ('add' in change) {
    next = { ...p, rules: [...p.rules.filter((r) => r.match !== change.add.match), change.add] };
    const r = change.add;
    details = { signatureRule: { match: r.match, require: r.require, ...(r.require === 'cosign-key' ? { keyFingerprint: r.keyFingerprint } : {}), ...(r.require === 'sigstore' ? { identity: r.identity, issuer: r.issuer } : {}) } };
  } else if ('remove' in change) {
    const match = change.remove.toLowerCase().replace(/\/+$/, '');
    if (!p.rules.some((r) => r.match === match)) throw new UsageError(`No signature policy rule for "${change.remove}"`, `Rules: ${p.rules.map((r) => r.match).join(', ') || 'none'}.`);
    next = { ...p, rules: p.rules.filter((r) => r.match !== match) };
    details = { signatureRuleRemoved: match };
  } else {
    next = { ...p, unmatched: change.unmatched };
    details = { signatureUnmatched: change.unmatched };
  }
  s.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(SIGNATURE_POLICY_KEY, JSON.stringify(next));
  s.custody.append({ ...(acting ? { as: { actor: acting.name, signer: acting } } : {}), type: 'policy-changed', role: 'admin', details });
  return next;
}
