import { UsageError } from '../../shared/errors';
import type { CustodyStore } from '../custody/custody-store';
import type { Db } from '../db/database';
import { getSetting, setSetting } from './settings-table';
import type { ActingIdentity } from '../identity/identity-store';
import { parseStationPolicy, type SignatureRule, type StationSignaturePolicy, type UnmatchedDefault } from '../signatures/policy';

// The station's signature policy (docs/supply-chain.md, "Signature policy"), kept in the settings
// table as JSON. Each change is a custody event, signed by the admin who made it.

export const SIGNATURE_POLICY_KEY = 'signatures.policy';

export function stationSignaturePolicy(db: Db): StationSignaturePolicy {
  return parseStationPolicy(getSetting(db, SIGNATURE_POLICY_KEY));
}

export type PolicyChange = { add: SignatureRule } | { remove: string } | { unmatched: UnmatchedDefault };

/** Applies one change and saves the policy; returns the new policy. Who may: stationAdmin (api/station-admin-access.ts). */
export function changeSignaturePolicy(s: { db: Db; custody: CustodyStore }, acting: ActingIdentity | undefined, change: PolicyChange): StationSignaturePolicy {
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
  setSetting(s.db, SIGNATURE_POLICY_KEY, JSON.stringify(next));
  s.custody.append({ ...(acting ? { as: { actor: acting.name, signer: acting } } : {}), type: 'policy-changed', role: 'admin', details });
  return next;
}
