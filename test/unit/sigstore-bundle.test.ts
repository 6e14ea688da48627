import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sigstoreTrustedRootProblem, verifySigstoreBundle, type SigstoreVerdict } from '../../src/main/signatures/sigstore-bundle';
import { NO_LOG_SIGSTORE_POLICY } from '../../src/main/signatures/sigstore-log-policy';
import { requireTool } from '../harness/require-tool';
import { SigstoreFixture } from '../harness/sigstore-fixture';

const ID = { subject: 'release-bot@example.com', issuer: 'https://token.actions.example.com' };
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] }));
const MANIFEST_DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;

type Json = Record<string, any>;
const clone = (v: Json): Json => structuredClone(v);
const flipBase64 = (b64: string, at = 10): string => {
  const b = Buffer.from(b64, 'base64');
  b[at] ^= 0x01;
  return b.toString('base64');
};

function refused(v: SigstoreVerdict): string {
  expect(v.ok).toBe(false);
  return v.ok ? '' : v.reason;
}

describe('verifySigstoreBundle (keyless, offline)', () => {
  let sigstore: SigstoreFixture;
  let root: Json;
  let message: Json;
  let dsse: Json;

  beforeAll(() => {
    requireTool('openssl', 'openssl');
    sigstore = new SigstoreFixture();
    root = sigstore.trustedRoot();
    message = sigstore.signMessage(MANIFEST, ID);
    dsse = sigstore.signDsse(MANIFEST_DIGEST.slice('sha256:'.length), ID);
  });

  const check = (bundle: unknown, more: Partial<Parameters<typeof verifySigstoreBundle>[0]> = {}) =>
    verifySigstoreBundle({ bundle, artifact: { data: MANIFEST }, identity: ID, trustedRoot: root, ...more });

  it('accepts a message-signature bundle with a Rekor entry and an SCT, naming the signer', () => {
    expect(check(message)).toEqual({ ok: true, signer: `${ID.subject} (issuer ${ID.issuer})` });
  });

  it('accepts a message-signature bundle given only the artifact digest (prehashed ECDSA), and refuses a changed signature', () => {
    expect(check(message, { artifact: { digest: MANIFEST_DIGEST } }).ok).toBe(true);
    const corrupt = sigstore.signMessage(MANIFEST, { ...ID, corruptSignature: true });
    expect(refused(check(corrupt, { artifact: { digest: MANIFEST_DIGEST } }))).toBe('signature: signature verification failed');
  });

  it('accepts a DSSE (in-toto) bundle about the image manifest digest, given only the digest or the bytes', () => {
    expect(check(dsse, { artifact: { digest: MANIFEST_DIGEST } }).ok).toBe(true);
    expect(check(dsse).ok).toBe(true);
  });

  it('reads the issuer from the older Fulcio extension (1.3.6.1.4.1.57264.1.1) and URI identities', () => {
    const workflow = { subject: 'https://github.com/example/app/.github/workflows/release.yml@refs/heads/main', issuer: ID.issuer };
    const bundle = sigstore.signMessage(MANIFEST, { ...workflow, issuerOid: 'v1' });
    expect(check(bundle, { identity: workflow })).toEqual({ ok: true, signer: `${workflow.subject} (issuer ${ID.issuer})` });
  });

  it('refuses a bundle whose signature byte was changed', () => {
    const bad = clone(message);
    bad.messageSignature.signature = flipBase64(bad.messageSignature.signature);
    // The log recorded the original signature, so the entry no longer matches.
    expect(refused(check(bad))).toBe('transparency log entry: signature mismatch');
  });

  it('refuses a signature that does not verify even when the log recorded it', () => {
    const bundle = sigstore.signMessage(MANIFEST, { ...ID, corruptSignature: true });
    expect(refused(check(bundle))).toBe('signature: signature verification failed');
  });

  it('refuses a bundle about another artifact, naming both digests', () => {
    const other = Buffer.from('another manifest');
    expect(refused(check(message, { artifact: { data: other } }))).toMatch(/the bundle signs sha256:[0-9a-f]{64}, not the artifact sha256:/);
    const reason = refused(check(dsse, { artifact: { digest: `sha256:${'0'.repeat(64)}` } }));
    expect(reason).toBe(`the in-toto Statement's subjects do not include sha256:${'0'.repeat(64)}`);
  });

  it('refuses a bundle whose recorded digest was edited to match another artifact', () => {
    const other = Buffer.from('another manifest');
    const bad = clone(message);
    bad.messageSignature.messageDigest.digest = createHash('sha256').update(other).digest('base64');
    expect(refused(check(bad, { artifact: { data: other } }))).toBe('transparency log entry: digest mismatch');
  });

  it('refuses a DSSE payload that was edited', () => {
    const bad = clone(dsse);
    const statement = JSON.parse(Buffer.from(bad.dsseEnvelope.payload, 'base64').toString());
    statement.predicate = { edited: true };
    bad.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    expect(refused(check(bad, { artifact: { digest: MANIFEST_DIGEST } }))).toBe('transparency log entry: DSSE payload hash mismatch');
    // Without a log to compare with, the DSSE signature itself fails.
    const unlogged = clone(sigstore.signDsse(MANIFEST_DIGEST.slice('sha256:'.length), { ...ID, tlog: false, sct: false, tsa: true }));
    unlogged.dsseEnvelope.payload = bad.dsseEnvelope.payload;
    expect(refused(check(unlogged, { artifact: { digest: MANIFEST_DIGEST }, logs: NO_LOG_SIGSTORE_POLICY }))).toBe('signature: signature verification failed');
  });

  it('matches the identity exactly, never as a pattern', () => {
    expect(refused(check(message, { identity: { ...ID, subject: 'other@example.com' } }))).toBe(
      `certificate identity is "${ID.subject}", the policy requires "other@example.com"`,
    );
    // @sigstore/verify's own policy would treat this as a regular expression and accept it.
    expect(refused(check(message, { identity: { ...ID, subject: '.*@example.com' } }))).toMatch(/certificate identity is/);
    expect(refused(check(message, { identity: { ...ID, subject: 'release-bot@example' } }))).toMatch(/certificate identity is/);
  });

  it('refuses a certificate from another OIDC issuer', () => {
    expect(refused(check(message, { identity: { ...ID, issuer: 'https://accounts.example.org' } }))).toBe(
      `certificate OIDC issuer is "${ID.issuer}", the policy requires "https://accounts.example.org"`,
    );
  });

  it('refuses a certificate issued by another CA with the same name', () => {
    const impostor = new SigstoreFixture();
    const bundle = impostor.signMessage(MANIFEST, ID);
    expect(refused(check(bundle))).toBe('certificate: Failed to verify certificate chain (no valid certificate path found)');
  });

  it('refuses log entries and SCTs signed by logs the trusted root does not list', () => {
    const impostor = new SigstoreFixture();
    const mixed = clone(message);
    const theirs: Json = impostor.signMessage(MANIFEST, { ...ID, sct: false });
    mixed.verificationMaterial.tlogEntries = theirs.verificationMaterial.tlogEntries;
    expect(refused(check(mixed))).toBe('transparency log inclusion promise: inclusion promise could not be verified');
    const noCt = check(message, { trustedRoot: sigstore.trustedRoot({ ctlog: false }) });
    expect(refused(noCt)).toBe('certificate: SCT verification failed');
  });

  describe('log thresholds', () => {
    it('requires a Rekor entry and an SCT by default', () => {
      expect(refused(check(sigstore.signMessage(MANIFEST, { ...ID, tlog: false, tsa: true })))).toBe(
        'transparency log: expected 1 tlog entries, got 0',
      );
      expect(refused(check(sigstore.signMessage(MANIFEST, { ...ID, sct: false })))).toBe('certificate: expected 1 SCTs, got 0');
    });

    it('accepts a private deployment without logs when the policy says so and a TSA timestamps the signature', () => {
      const bundle = sigstore.signMessage(MANIFEST, { ...ID, tlog: false, sct: false, tsa: true });
      expect(check(bundle, { logs: NO_LOG_SIGSTORE_POLICY }).ok).toBe(true);
      const tsaFromElsewhere = check(bundle, { logs: NO_LOG_SIGSTORE_POLICY, trustedRoot: sigstore.trustedRoot({ tsa: false }) });
      expect(refused(tsaFromElsewhere)).toMatch(/^timestamp: /);
    });

    it('still needs a verified time when no log is required', () => {
      const bundle = sigstore.signMessage(MANIFEST, { ...ID, tlog: false, sct: false });
      expect(refused(check(bundle, { logs: NO_LOG_SIGSTORE_POLICY }))).toMatch(/^timestamp: expected 1 timestamps, got 0.*RFC 3161/);
    });

    it('refuses a malformed threshold', () => {
      expect(refused(check(message, { logs: { tlogThreshold: -1, ctlogThreshold: 0 } }))).toMatch(/^log policy: tlogThreshold/);
    });
  });

  describe('bad input never throws', () => {
    it.each([
      ['not an object', 'nope', /^bundle: must be a JSON object/],
      ['unknown media type', { mediaType: 'application/json' }, /^bundle: media type "application\/json" is not a Sigstore bundle/],
      ['no content', { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', verificationMaterial: {} }, /^bundle: invalid bundle \(missing or empty: content, /],
    ])('%s', (_what, bundle, reason) => {
      expect(refused(check(bundle))).toMatch(reason);
    });

    it('refuses a certificate whose bytes were changed', () => {
      const bad = clone(message);
      const der = Buffer.from(bad.verificationMaterial.certificate.rawBytes, 'base64');
      bad.verificationMaterial.certificate.rawBytes = flipBase64(bad.verificationMaterial.certificate.rawBytes, der.length - 5);
      expect(refused(check(bad))).toMatch(/^certificate: Failed to verify certificate chain/);
      bad.verificationMaterial.certificate.rawBytes = flipBase64(message.verificationMaterial.certificate.rawBytes, 1);
      expect(refused(check(bad))).toMatch(/^the bundle is malformed or unsupported: /);
    });

    it('refuses a bad trusted root, a bad digest and a missing identity', () => {
      expect(refused(check(message, { trustedRoot: { mediaType: 'x' } }))).toMatch(/^trusted root: media type "x"/);
      expect(refused(check(message, { trustedRoot: { ...root, certificateAuthorities: [] } }))).toBe(
        'trusted root: lists no certificate authority (Fulcio)',
      );
      expect(sigstoreTrustedRootProblem(root)).toBeUndefined();
      expect(sigstoreTrustedRootProblem({ ...root, ctlogs: [{ baseUrl: 'x', publicKey: { rawBytes: 'AAAA', validFor: { start: '2020-01-01T00:00:00Z' } }, logId: { keyId: 'AA==' } }] })).toMatch(/^trusted root: could not be read: /);
      const open = structuredClone(root);
      delete open.certificateAuthorities[0].validFor;
      expect(sigstoreTrustedRootProblem(open)).toBe('trusted root: certificateAuthorities[0] has no validFor.start (required: a missing bound must not mean "always")');
      expect(refused(check(dsse, { artifact: { digest: 'sha256:XYZ' } }))).toMatch(/must be sha256:<64 lowercase hex>/);
      expect(refused(check(message, { identity: { subject: '', issuer: ID.issuer } }))).toMatch(/must name a certificate identity/);
    });


    it('refuses a public-key bundle: keyless policy needs a certificate', () => {
      const bad = clone(message);
      bad.verificationMaterial = { publicKey: { hint: 'k' }, tlogEntries: [] };
      expect(refused(check(bad))).toMatch(/public key, not a Fulcio certificate/);
    });
  });
});

// Bundles made by real Sigstore deployments (test/fixtures/sigstore-conformance/NOTICE.md).
describe('verifySigstoreBundle on sigstore-conformance bundles', () => {
  const dir = join(__dirname, '..', 'fixtures', 'sigstore-conformance');
  const beacon = {
    subject: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
    issuer: 'https://token.actions.githubusercontent.com',
  };
  const load = (name: string) => {
    const c = join(dir, name);
    const data = readFileSync(existsSync(join(c, 'artifact')) ? join(c, 'artifact') : join(dir, 'a.txt'));
    return {
      data,
      digest: `sha256:${createHash('sha256').update(data).digest('hex')}`,
      bundle: JSON.parse(readFileSync(join(c, 'bundle.sigstore.json'), 'utf8')) as unknown,
      trustedRoot: JSON.parse(readFileSync(join(c, 'trusted_root.json'), 'utf8')) as unknown,
    };
  };

  it.each([
    ['rekor2-happy-path', 'message signature, Rekor v2 entry, TSA timestamp'],
    ['intoto-with-custom-trust-root', 'DSSE in-toto statement, Rekor v1 entry'],
  ])('accepts %s (%s), from the bytes or the digest alone', (name) => {
    const c = load(name);
    for (const artifact of [{ data: c.data }, { digest: c.digest }]) {
      const v = verifySigstoreBundle({ bundle: c.bundle, artifact, identity: beacon, trustedRoot: c.trustedRoot });
      expect(v).toEqual({ ok: true, signer: `${beacon.subject} (issuer ${beacon.issuer})` });
    }
    const other = verifySigstoreBundle({ bundle: c.bundle, artifact: { data: Buffer.from('not the artifact') }, identity: beacon, trustedRoot: c.trustedRoot });
    expect(other.ok).toBe(false);
  });

  it.each([
    ['rekor2-timestamp-payload-mismatch_fail', /^timestamp: timestamp could not be verified/],
    ['intoto-expired-certificate_fail', /^certificate: Failed to verify certificate chain \(certificate is not valid or expired/],
    ['trust-root-tlog-missing-validity-start_fail', /^trusted root: tlogs\[1\]\.publicKey has no validFor\.start/],
    ['rekor2-checkpoint-no-matching-signature_fail', /^transparency log inclusion proof: invalid checkpoint signature/],
  ])('refuses %s', (name, reason) => {
    const c = load(name);
    const v = verifySigstoreBundle({ bundle: c.bundle, artifact: { data: c.data }, identity: beacon, trustedRoot: c.trustedRoot });
    expect(refused(v)).toMatch(reason);
  });
});
