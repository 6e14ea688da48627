/**
 * Sigstore bundles (keyless), verified offline with @sigstore/verify against a trusted root that
 * travels as a file (no network, no TUF). See docs/supply-chain.md, "Sigstore bundles (keyless)".
 *
 * Policy: the certificate's identity (SAN) and OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8,
 * or the older .1.1) must equal the rule's exactly; the certificate must chain to a CA of the
 * trusted root at a verified time; the transparency requirements come from `logs`
 * (DEFAULT_SIGSTORE_LOG_POLICY unless the rule says otherwise). Never throws: every failure is
 * `{ ok: false, reason }`.
 */
import type { Bundle } from '@sigstore/bundle';
import type { SignedEntity, TrustMaterial } from '@sigstore/verify';
import { artifactSha256, bundleArtifactProblem, type SigstoreArtifact } from './sigstore-artifact';
import { verifyEcdsaPrehashed } from './sigstore-prehash';
import {
  DEFAULT_SIGSTORE_LOG_POLICY,
  SIGSTORE_TIMESTAMP_THRESHOLD,
  SigstoreLogPolicySchema,
  type SigstoreLogPolicy,
} from './sigstore-log-policy';

export type { SigstoreArtifact } from './sigstore-artifact';

// Start-up: the @sigstore packages (with protobuf-specs) load at the first Sigstore check, not
// with this module: most commands never verify a keyless signature (test/unit/cli-lazy.test.ts).
let libs: { bundle: typeof import('@sigstore/bundle'); specs: typeof import('@sigstore/protobuf-specs'); verify: typeof import('@sigstore/verify') } | undefined;
const sigstore = (): NonNullable<typeof libs> =>
  (libs ??= {
    bundle: require('@sigstore/bundle') as typeof import('@sigstore/bundle'),
    specs: require('@sigstore/protobuf-specs') as typeof import('@sigstore/protobuf-specs'),
    verify: require('@sigstore/verify') as typeof import('@sigstore/verify'),
  });

export interface SigstoreIdentity {
  /** Certificate identity (SAN: e-mail or URI), matched exactly. */
  subject: string;
  /** OIDC issuer recorded by Fulcio in the certificate, matched exactly. */
  issuer: string;
}

export type SigstoreVerdict = { ok: true; signer: string } | { ok: false; reason: string };

/** Media types of Sigstore bundles Ferry accepts (OCI artifactType of the referrer). */
export const SIGSTORE_BUNDLE_MEDIA_TYPES = [
  'application/vnd.dev.sigstore.bundle.v0.3+json',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
] as const;

const TRUSTED_ROOT_MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(?:\.v0\.\d+)?\+json(?:;version=0\.\d+)?$/;

export function verifySigstoreBundle(input: {
  bundle: unknown;
  artifact: SigstoreArtifact;
  identity: SigstoreIdentity;
  trustedRoot: unknown;
  /** Transparency requirements; DEFAULT_SIGSTORE_LOG_POLICY (1 Rekor entry, 1 SCT) when absent. */
  logs?: SigstoreLogPolicy;
}): SigstoreVerdict {
  try {
    return verify(input);
  } catch (err) {
    return { ok: false, reason: `Sigstore bundle could not be verified: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function verify(input: Parameters<typeof verifySigstoreBundle>[0]): SigstoreVerdict {
  const { identity } = input;
  if (!identity || typeof identity.subject !== 'string' || !identity.subject || typeof identity.issuer !== 'string' || !identity.issuer) {
    return fail('the policy must name a certificate identity (subject) and an OIDC issuer');
  }
  const logs = SigstoreLogPolicySchema.safeParse(input.logs ?? DEFAULT_SIGSTORE_LOG_POLICY);
  if (!logs.success) return fail(`log policy: ${logs.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);

  const sha = artifactSha256(input.artifact);
  if ('reason' in sha) return fail(sha.reason);

  const trust = parseTrustedRoot(input.trustedRoot);
  if ('reason' in trust) return fail(`trusted root: ${trust.reason}`);

  const parsed = parseBundle(input.bundle);
  if ('reason' in parsed) return fail(`bundle: ${parsed.reason}`);
  const bundle = parsed.bundle;

  const vm = bundle.verificationMaterial.content;
  if (vm.$case === 'publicKey') return fail('the bundle is signed with a public key, not a Fulcio certificate; keyless policy needs a certificate');

  const about = bundleArtifactProblem(bundle, sha.hex);
  if (about) return fail(about);

  let signer;
  try {
    const entity = signedEntity(bundle, input.artifact, sha.hex);
    const { Verifier } = sigstore().verify;
    const verifier = new Verifier(trust.material, {
      tlogThreshold: logs.data.tlogThreshold,
      ctlogThreshold: logs.data.ctlogThreshold,
      timestampThreshold: SIGSTORE_TIMESTAMP_THRESHOLD,
    });
    signer = verifier.verify(entity);
  } catch (err) {
    return fail(explain(err));
  }

  const san = signer.identity?.subjectAlternativeName;
  const issuer = signer.identity?.extensions?.issuer;
  if (san !== identity.subject) {
    return fail(`certificate identity is ${san === undefined ? 'missing' : JSON.stringify(san)}, the policy requires ${JSON.stringify(identity.subject)}`);
  }
  if (issuer !== identity.issuer) {
    return fail(`certificate OIDC issuer is ${issuer === undefined ? 'missing' : JSON.stringify(issuer)}, the policy requires ${JSON.stringify(identity.issuer)}`);
  }
  return { ok: true, signer: `${san} (issuer ${issuer})` };
}

/**
 * The entity @sigstore/verify checks. A message signature given only the artifact's digest
 * (already checked equal to the bundle's messageDigest) is verified over that digest with
 * ECDSA prehashed verification: node:crypto would hash it again.
 */
function signedEntity(bundle: Bundle, artifact: SigstoreArtifact, hex: string): SignedEntity {
  const entity = sigstore().verify.toSignedEntity(bundle, 'data' in artifact ? artifact.data : undefined);
  if ('data' in artifact || bundle.content.$case !== 'messageSignature') return entity;
  const content = entity.signature;
  const digest = Buffer.from(hex, 'hex');
  return {
    ...entity,
    signature: {
      signature: content.signature,
      compareSignature: (sig) => content.compareSignature(sig),
      compareDigest: (d) => content.compareDigest(d),
      verifySignature: (key) => verifyEcdsaPrehashed(key, digest, content.signature),
    },
  };
}

function fail(reason: string): SigstoreVerdict {
  return { ok: false, reason };
}

function parseBundle(json: unknown): { bundle: Bundle } | { reason: string } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { reason: 'must be a JSON object' };
  const mediaType = (json as { mediaType?: unknown }).mediaType;
  if (typeof mediaType !== 'string' || !(SIGSTORE_BUNDLE_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
    return { reason: `media type ${JSON.stringify(mediaType)} is not a Sigstore bundle (v0.1 to v0.3)` };
  }
  try {
    return { bundle: sigstore().bundle.bundleFromJSON(json) };
  } catch (err) {
    const fields = (err as { fields?: unknown }).fields;
    const which = Array.isArray(fields) && fields.length > 0 ? ` (missing or empty: ${fields.join(', ')})` : '';
    return { reason: `${err instanceof Error ? err.message : String(err)}${which}` };
  }
}

/**
 * Why a trusted root cannot be used (wrong media type, no Fulcio CA, unreadable keys or
 * certificates), or undefined when it can. For checking a policy rule when it is written.
 */
export function sigstoreTrustedRootProblem(json: unknown): string | undefined {
  const r = parseTrustedRoot(json);
  return 'reason' in r ? `trusted root: ${r.reason}` : undefined;
}

function parseTrustedRoot(json: unknown): { material: TrustMaterial } | { reason: string } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { reason: 'must be a JSON object' };
  const mediaType = (json as { mediaType?: unknown }).mediaType;
  if (typeof mediaType !== 'string' || !TRUSTED_ROOT_MEDIA_TYPE.test(mediaType)) {
    return { reason: `media type ${JSON.stringify(mediaType)} is not application/vnd.dev.sigstore.trustedroot+json;version=0.1` };
  }
  const unbounded = unboundedAuthority(json as Record<string, unknown>);
  if (unbounded) return { reason: `${unbounded} has no validFor.start (required: a missing bound must not mean "always")` };
  try {
    const root = sigstore().specs.TrustedRoot.fromJSON(json);
    if (root.certificateAuthorities.length === 0) return { reason: 'lists no certificate authority (Fulcio)' };
    return { material: sigstore().verify.toTrustMaterial(root) };
  } catch (err) {
    return { reason: `could not be read: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The first log or authority of the trusted root whose validity has no start, e.g. "tlogs[0]". */
function unboundedAuthority(root: Record<string, unknown>): string | undefined {
  const list = (key: string): unknown[] => (Array.isArray(root[key]) ? (root[key] as unknown[]) : []);
  const start = (v: unknown): unknown => (v as { validFor?: { start?: unknown } } | undefined)?.validFor?.start;
  for (const key of ['tlogs', 'ctlogs']) {
    const i = list(key).findIndex((l) => !start((l as { publicKey?: unknown } | null)?.publicKey));
    if (i >= 0) return `${key}[${i}].publicKey`;
  }
  for (const key of ['certificateAuthorities', 'timestampAuthorities']) {
    const i = list(key).findIndex((a) => !start(a));
    if (i >= 0) return `${key}[${i}]`;
  }
  return undefined;
}

const WHAT: Record<string, string> = {
  CERTIFICATE_ERROR: 'certificate',
  SIGNATURE_ERROR: 'signature',
  TIMESTAMP_ERROR: 'timestamp',
  TLOG_ERROR: 'transparency log',
  TLOG_BODY_ERROR: 'transparency log entry',
  TLOG_INCLUSION_PROOF_ERROR: 'transparency log inclusion proof',
  TLOG_INCLUSION_PROMISE_ERROR: 'transparency log inclusion promise',
  TLOG_MISSING_INCLUSION_ERROR: 'transparency log entry',
  PUBLIC_KEY_ERROR: 'public key',
  UNTRUSTED_SIGNER_ERROR: 'signer',
};

function explain(err: unknown): string {
  const { VerificationError, PolicyError } = sigstore().verify;
  if (err instanceof VerificationError || err instanceof PolicyError) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
    const hint = err.code === 'TIMESTAMP_ERROR' ? '; the bundle needs a Rekor entry or an RFC 3161 timestamp from a TSA in the trusted root' : '';
    return `${WHAT[err.code] ?? err.code}: ${err.message}${cause}${hint}`;
  }
  return `the bundle is malformed or unsupported: ${err instanceof Error ? err.message : String(err)}`;
}
