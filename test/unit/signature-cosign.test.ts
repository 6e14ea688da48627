import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPayload, cosignSignatureTag, referrersTag, verifyCosignKey, type SignatureArtifact } from '../../src/main/signatures/cosign';
import { cosignPayload, cosignSignatureManifest, makeCosignKey } from '../harness/cosign-sign';
import { tempDir } from '../harness/temp';
import { readFileSync } from 'node:fs';

const tmp = tempDir('ferry-cosign-');
afterAll(() => tmp.cleanup());
const digest = `sha256:${createHash('sha256').update('image').digest('hex')}`;
const key = makeCosignKey(tmp.path, 'k');
const other = makeCosignKey(tmp.path, 'o');
const pem = readFileSync(key.pubFile, 'utf8');

function artifact(s: ReturnType<typeof cosignSignatureManifest>): { a: SignatureArtifact; blob: (d: string) => Promise<Buffer | undefined> } {
  const blobs = new Map(s.blobs.map((b) => [b.digest, b.data]));
  return { a: { digest: s.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', manifest: s.manifest }, blob: async (d) => blobs.get(d) };
}

describe('cosign key signatures', () => {
  it('names tags as cosign and the referrers tag schema do', () => {
    expect(cosignSignatureTag(digest)).toBe(`sha256-${digest.slice(7)}.sig`);
    expect(referrersTag(digest)).toBe(`sha256-${digest.slice(7)}`);
  });

  it('accepts a signature by the key over a payload naming the image, as a tag or a referrer', async () => {
    for (const referrerOf of [undefined, { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 10 }]) {
      const { a, blob } = artifact(cosignSignatureManifest({ dockerReference: 'r.example/app', digest, key: key.privateKey, ...(referrerOf ? { referrerOf } : {}) }));
      const v = await verifyCosignKey([a], digest, pem, blob);
      expect(v).toMatchObject({ ok: true, signer: expect.stringMatching(/^cosign key sha256:[a-f0-9]{64}$/) });
    }
  });

  it('refuses: no signature, another key, another digest, an altered payload', async () => {
    expect(await verifyCosignKey([], digest, pem, async () => undefined)).toEqual({ ok: false, reason: expect.stringMatching(/^no cosign signature found/) });
    const byOther = artifact(cosignSignatureManifest({ dockerReference: 'r/app', digest, key: other.privateKey }));
    expect(await verifyCosignKey([byOther.a], digest, pem, byOther.blob)).toMatchObject({ ok: false, reason: expect.stringMatching(/1 cosign signature\(s\) found, none valid for key .*signed by another key/) });
    const wrong = `sha256:${'0'.repeat(64)}`;
    const forOther = artifact(cosignSignatureManifest({ dockerReference: 'r/app', digest: wrong, key: key.privateKey }));
    expect(await verifyCosignKey([forOther.a], digest, pem, forOther.blob)).toMatchObject({ ok: false, reason: expect.stringContaining(`the payload signs ${wrong}, not the image's ${digest}`) });
    const good = cosignSignatureManifest({ dockerReference: 'r/app', digest, key: key.privateKey });
    const altered = good.blobs.map((b) => ({ ...b, data: b.data.toString().includes('critical') ? Buffer.from(b.data.toString().replace('r/app', 'r/apq')) : b.data }));
    const t = artifact({ ...good, blobs: altered });
    expect(await verifyCosignKey([t.a], digest, pem, t.blob)).toMatchObject({ ok: false, reason: expect.stringContaining('the signed payload does not match its digest') });
    // The payload changed and the manifest re-pointed at it: the signature no longer verifies.
    const payload = Buffer.from(cosignPayload('r/apq', digest));
    const pd = `sha256:${createHash('sha256').update(payload).digest('hex')}`;
    const m = JSON.parse(good.manifest.toString());
    m.layers[0].digest = pd;
    m.layers[0].size = payload.length;
    const repointed = { a: { digest: good.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', manifest: Buffer.from(JSON.stringify(m)) }, blob: async (d: string) => (d === pd ? payload : undefined) };
    expect(await verifyCosignKey([repointed.a], digest, pem, repointed.blob)).toMatchObject({ ok: false, reason: expect.stringContaining('the signature does not verify with the required key') });
  });

  it('checks the payload fields cosign checks', () => {
    expect(checkPayload(cosignPayload('r/app', digest), digest)).toEqual({ ok: true, reference: 'r/app' });
    const typed = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': 'r' }, image: { 'docker-manifest-digest': digest }, type: 'something else' } }));
    expect(checkPayload(typed, digest)).toMatchObject({ ok: false, reason: expect.stringContaining('critical.type') });
    const noRef = Buffer.from(JSON.stringify({ critical: { identity: {}, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' } }));
    expect(checkPayload(noRef, digest)).toMatchObject({ ok: false, reason: expect.stringContaining('docker-reference') });
    expect(checkPayload(Buffer.from('nope'), digest)).toMatchObject({ ok: false, reason: 'the signed payload is not JSON' });
  });
});
