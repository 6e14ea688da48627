import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyEcdsaPrehashed } from '../../src/main/signatures/sigstore-prehash';

describe('verifyEcdsaPrehashed', () => {
  it.each([
    ['P-256', 'sha256'],
    ['P-384', 'sha384'],
    ['P-384', 'sha256'],
  ])('agrees with node:crypto on %s signatures over %s digests', (curve, hash) => {
    for (let i = 0; i < 12; i++) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const message = Buffer.from(`message ${i} ${curve}`);
      const digest = createHash(hash).update(message).digest();
      const sig = sign(hash, message, privateKey);
      expect(verifyEcdsaPrehashed(publicKey, digest, sig)).toBe(true);
      const otherDigest = Buffer.from(digest);
      otherDigest[i % digest.length] ^= 0x80;
      expect(verifyEcdsaPrehashed(publicKey, otherDigest, sig)).toBe(false);
      const badSig = Buffer.from(sig);
      badSig[badSig.length - 1 - (i % 8)] ^= 0x01;
      expect(verifyEcdsaPrehashed(publicKey, digest, badSig)).toBe(false);
      const stranger = generateKeyPairSync('ec', { namedCurve: curve }).publicKey;
      expect(verifyEcdsaPrehashed(stranger, digest, sig)).toBe(false);
    }
  });

  it('refuses malformed signatures, out-of-range values and non-EC keys', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const digest = createHash('sha256').update('x').digest();
    const sig = sign('sha256', Buffer.from('x'), privateKey);
    expect(verifyEcdsaPrehashed(publicKey, digest, sig)).toBe(true);
    expect(verifyEcdsaPrehashed(publicKey, digest, Buffer.concat([sig, Buffer.from([0])]))).toBe(false);
    expect(verifyEcdsaPrehashed(publicKey, digest, sig.subarray(0, sig.length - 1))).toBe(false);
    expect(verifyEcdsaPrehashed(publicKey, digest, Buffer.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01]))).toBe(false); // r = 0
    const n = Buffer.from('00ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
    const rn = Buffer.concat([Buffer.from([0x30, 0x26, 0x02, 0x21]), n, Buffer.from([0x02, 0x01, 0x01])]); // r = n
    expect(verifyEcdsaPrehashed(publicKey, digest, rn)).toBe(false);
    const ed = generateKeyPairSync('ed25519').publicKey;
    expect(verifyEcdsaPrehashed(ed, digest, sig)).toBe(false);
    expect(verifyEcdsaPrehashed(privateKey, digest, sig)).toBe(false);
  });
});
