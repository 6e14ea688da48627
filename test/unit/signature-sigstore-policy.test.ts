import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { LockSignatureArtifact, LockSignatures } from '../../src/main/recipes/lock-schema';
import { checkRecorded, inlineBlobs } from '../../src/main/signatures/check';
import { makeRule } from '../../src/main/signatures/policy';
import { SigstoreFixture } from '../harness/sigstore-fixture';

// The sigstore kind of the policy end to end through Ferry's own check (the one resolve and the
// offline verify use): a Sigstore bundle carried as an OCI referrer of the image, verified against
// the identity and trusted root recorded with the verdict.

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const imageDigest = sha(Buffer.from('an image manifest'));
const identity = 'builder@ferry.test';
const issuer = 'https://issuer.ferry.test';

/** The referrer cosign v3 pushes for a bundle: empty config, one layer holding the bundle JSON. */
function referrer(bundle: unknown): LockSignatureArtifact {
  const layer = Buffer.from(JSON.stringify(bundle));
  const empty = Buffer.from('{}');
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', size: 2, digest: sha(empty) },
    layers: [{ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', size: layer.length, digest: sha(layer) }],
    subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 17, digest: imageDigest },
  }));
  return {
    digest: sha(manifest), mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', manifest: manifest.toString('base64'),
    blobs: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha(empty), size: 2, data: empty.toString('base64') }, { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', digest: sha(layer), size: layer.length, data: layer.toString('base64') }],
  };
}

describe('sigstore rules through the policy check', () => {
  const f = new SigstoreFixture();
  const root = JSON.stringify(f.trustedRoot());
  const rule = makeRule({ match: 'registry.ferry.test/app', require: 'sigstore', identity, issuer, trustedRoot: root }, 'rule');
  const record = (artifacts: LockSignatureArtifact[], who = identity): LockSignatures => ({ policy: 'station rule registry.ferry.test/app: sigstore', verdict: 'verified', kind: 'sigstore-bundle', identity: who, issuer, trustedRoot: root, artifacts });

  it('accepts a bundle for the image by the identity, and refuses it for another identity or image', async () => {
    expect(rule.require).toBe('sigstore');
    const good = [referrer(f.signDsse(imageDigest.slice(7), { subject: identity, issuer }))];
    expect(await checkRecorded(record(good), imageDigest, inlineBlobs(good))).toMatchObject({ ok: true });
    expect(await checkRecorded(record(good, 'someone@else.test'), imageDigest, inlineBlobs(good))).toMatchObject({ ok: false, reason: expect.stringMatching(/1 Sigstore bundle\(s\) found, none valid for someone@else\.test/) });
    const otherImage = sha(Buffer.from('another image'));
    expect(await checkRecorded(record(good), otherImage, inlineBlobs(good))).toMatchObject({ ok: false });
  });

  it('refuses a tampered bundle and an image with no bundle', async () => {
    const bad = [referrer(f.signDsse(imageDigest.slice(7), { subject: identity, issuer, corruptSignature: true }))];
    expect(await checkRecorded(record(bad), imageDigest, inlineBlobs(bad))).toMatchObject({ ok: false, reason: expect.stringContaining('none valid') });
    expect(await checkRecorded(record([]), imageDigest, inlineBlobs([]))).toEqual({ ok: false, reason: "no Sigstore bundle found among the image's referrers" });
  });

  it('refuses an unusable trusted root when the rule is written', () => {
    expect(() => makeRule({ match: 'x.test', require: 'sigstore', identity, issuer, trustedRoot: '{"mediaType":"text/plain"}' }, 'rule 3')).toThrow(/rule 3: trusted root: media type/);
  });
});
