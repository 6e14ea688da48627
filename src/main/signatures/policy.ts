import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { FerryError, UsageError } from '../../shared/errors';
import { sigstoreTrustedRootProblem } from './sigstore-bundle';
import { SigstoreLogPolicySchema, type SigstoreLogPolicy } from './sigstore-log-policy';

// Signature policy: per registry or repository prefix, what signature an image must carry.
// Rules come from the station (settings) and from the recipe (`signatures:`). For an image,
// the longest station rule that matches decides; where no station rule matches, the longest
// recipe rule; where none matches, the station's `unmatched` default (refuse unless set to none).
// With no rule at all (station or recipe) there is no policy: nothing is looked up or recorded.

export const SIGNATURE_REQUIREMENTS = ['none', 'cosign-key', 'sigstore'] as const;
export type SignatureRequirement = (typeof SIGNATURE_REQUIREMENTS)[number];
export type UnmatchedDefault = 'refuse' | 'none';
/** What an image matching no rule gets while any rule is configured (the allow-list default). */
export const DEFAULT_UNMATCHED: UnmatchedDefault = 'refuse';

/** `registry[/repository prefix]`, lowercase, no scheme, tag or digest. */
const MATCH = /^[a-z0-9.-]+(?::[0-9]{1,5})?(?:\/[a-z0-9._-]+)*$/;
const match = z.string().min(1).max(255).transform((s) => s.toLowerCase().replace(/\/+$/, '')).refine((s) => MATCH.test(s), 'must be REGISTRY[/REPOSITORY-PREFIX], e.g. registry.gitlab.com/gitlab-org');

/** A rule as stored (keys and trusted roots inline, so a lock can carry them across the gap). */
export const SignatureRuleSchema = z.discriminatedUnion('require', [
  z.strictObject({ match, require: z.literal('none') }),
  z.strictObject({ match, require: z.literal('cosign-key'), publicKey: z.string().min(1).max(16_384), keyFingerprint: z.string().regex(/^[a-f0-9]{64}$/) }),
  z.strictObject({ match, require: z.literal('sigstore'), identity: z.string().min(1).max(1024), issuer: z.string().min(1).max(1024), trustedRoot: z.string().min(2).max(4 << 20), logs: SigstoreLogPolicySchema.optional() }),
]);
export type SignatureRule = z.infer<typeof SignatureRuleSchema>;

export const StationSignaturePolicySchema = z.strictObject({
  rules: z.array(SignatureRuleSchema).max(500),
  unmatched: z.enum(['refuse', 'none']).optional(),
});
export type StationSignaturePolicy = z.infer<typeof StationSignaturePolicySchema>;

/** Station rules plus the recipe's rules for one resolve. */
export interface SignaturePolicy {
  station: SignatureRule[];
  recipe: SignatureRule[];
  unmatched: UnmatchedDefault;
}

export type PolicyDecision =
  | { require: 'none'; policy: string }
  | { require: 'refuse'; policy: string }
  | { require: 'cosign-key'; policy: string; rule: Extract<SignatureRule, { require: 'cosign-key' }> }
  | { require: 'sigstore'; policy: string; rule: Extract<SignatureRule, { require: 'sigstore' }> };

export function hasPolicy(p: SignaturePolicy | undefined): p is SignaturePolicy {
  return !!p && p.station.length + p.recipe.length > 0;
}

function longest(rules: SignatureRule[], name: string): SignatureRule | undefined {
  let best: SignatureRule | undefined;
  for (const r of rules) if ((name === r.match || name.startsWith(`${r.match}/`)) && (!best || r.match.length > best.match.length)) best = r;
  return best;
}

/** The rule that decides for the image `registry/repository` (canonical source name, not a mirror). */
export function decide(p: SignaturePolicy, registry: string, repository: string): PolicyDecision {
  const name = `${registry}/${repository}`.toLowerCase();
  const station = longest(p.station, name);
  const rule = station ?? longest(p.recipe, name);
  if (!rule) return { require: p.unmatched, policy: `station default for unmatched images (${p.unmatched})` };
  const policy = `${station ? 'station' : 'recipe'} rule ${rule.match}: ${rule.require}`;
  if (rule.require === 'none') return { require: 'none', policy };
  if (rule.require === 'cosign-key') return { require: 'cosign-key', policy, rule };
  return { require: 'sigstore', policy, rule };
}

/** A cosign public key: PEM SubjectPublicKeyInfo, ECDSA P-256; fingerprint = sha256 of the DER, hex. */
export function parseCosignKey(pem: string, where: string): { key: KeyObject; fingerprint: string; pem: string } {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new UsageError(`${where}: not a PEM public key (${(err as Error).message})`, 'Give the cosign public key file (cosign.pub), "-----BEGIN PUBLIC KEY-----".');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new UsageError(`${where}: the key is ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''}, not ECDSA P-256`, 'cosign key pairs are ECDSA P-256 (cosign generate-key-pair).');
  }
  const der = key.export({ type: 'spki', format: 'der' });
  return { key, fingerprint: createHash('sha256').update(der).digest('hex'), pem: key.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Checks a trusted root can be used (JSON, media type, a Fulcio CA) when the rule is written. */
export function checkTrustedRoot(text: string, where: string): string {
  const hint = 'Give a trusted_root.json (e.g. from "cosign trusted-root create" or the Sigstore TUF repository).';
  let v: unknown;
  try {
    v = JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`${where}: the Sigstore trusted root is not JSON (${(err as Error).message})`, hint);
  }
  const problem = sigstoreTrustedRootProblem(v);
  if (problem) throw new UsageError(`${where}: ${problem}`, hint);
  return text;
}

/** Rule input as written by people (recipe YAML, CLI): keys and trusted roots by file or inline. */
export interface RuleInput {
  match: string;
  require: SignatureRequirement;
  /** cosign-key: the PEM text. */
  publicKey?: string;
  identity?: string;
  issuer?: string;
  /** sigstore: the trusted root JSON text. */
  trustedRoot?: string;
  /** sigstore: transparency requirements (default: 1 Rekor entry, 1 SCT). */
  logs?: SigstoreLogPolicy;
}

/** Validates a rule and stores the key with its fingerprint. */
export function makeRule(r: RuleInput, where: string): SignatureRule {
  const m = match.safeParse(r.match);
  if (!m.success) throw new UsageError(`${where}: match "${r.match}": ${m.error.issues[0]!.message}`);
  if (r.require === 'none') return { match: m.data, require: 'none' };
  if (r.require === 'cosign-key') {
    if (!r.publicKey) throw new UsageError(`${where}: a cosign-key rule needs a public key`, 'Give key: (a path to cosign.pub, or the PEM).');
    const k = parseCosignKey(r.publicKey, where);
    return { match: m.data, require: 'cosign-key', publicKey: k.pem, keyFingerprint: k.fingerprint };
  }
  if (!r.identity || !r.issuer || !r.trustedRoot) throw new UsageError(`${where}: a sigstore rule needs identity, issuer and trustedRoot`, 'identity: the certificate SAN (e-mail or URI); issuer: the OIDC issuer; trustedRoot: a trusted_root.json file.');
  return { match: m.data, require: 'sigstore', identity: r.identity, issuer: r.issuer, trustedRoot: checkTrustedRoot(r.trustedRoot, where), ...(r.logs ? { logs: r.logs } : {}) };
}

/** Parses stored station policy JSON; a damaged value is an error (never silently "no policy"). */
export function parseStationPolicy(raw: string | undefined): StationSignaturePolicy {
  if (!raw) return { rules: [] };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new FerryError('The station signature policy (settings key signatures.policy) is not JSON', 'Set it again with "ferry signature-policy".');
  }
  const r = StationSignaturePolicySchema.safeParse(v);
  if (!r.success) throw new FerryError(`The station signature policy is invalid at ${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`, 'Set it again with "ferry signature-policy".');
  return r.data;
}
