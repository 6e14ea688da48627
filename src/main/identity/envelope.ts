import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { z } from 'zod';
import { FerryError, UsageError } from '../../shared/errors';

// A private key at rest: scrypt (memory-hard) derives a 256-bit key from the passphrase,
// AES-256-GCM encrypts the PKCS#8 key. Salt and nonce are random per envelope; the
// identity's name and fingerprint are bound in as associated data, so an envelope moved
// to another identity row does not open.

export interface KdfParams {
  N: number;
  r: number;
  p: number;
}

/** 2^17 × 8 × 128 B = 128 MiB and ~0.5 s per unlock on a laptop core. */
export const DEFAULT_KDF: KdfParams = { N: 2 ** 17, r: 8, p: 1 };
export const MIN_PASSPHRASE = 10;

const b64 = z.string().max(512).regex(/^[A-Za-z0-9+/]*={0,2}$/);
export const EnvelopeSchema = z.strictObject({
  v: z.literal(1),
  kdf: z.strictObject({
    name: z.literal('scrypt'),
    N: z.number().int().min(2 ** 14).max(2 ** 22),
    r: z.number().int().min(8).max(32),
    p: z.number().int().min(1).max(16),
    salt: b64,
  }),
  cipher: z.strictObject({ name: z.literal('aes-256-gcm'), nonce: b64, tag: b64 }),
  ciphertext: b64,
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

function deriveKey(passphrase: string, salt: Buffer, k: KdfParams): Buffer {
  return scryptSync(passphrase.normalize('NFC'), salt, 32, { N: k.N, r: k.r, p: k.p, maxmem: 128 * k.N * k.r * k.p + 64 * 1024 * 1024 });
}

export function checkPassphrase(passphrase: string): void {
  if ([...passphrase].length < MIN_PASSPHRASE) {
    throw new UsageError(`The passphrase is too short (at least ${MIN_PASSPHRASE} characters).`, 'Use a few unrelated words.');
  }
}

export function seal(secret: Buffer, passphrase: string, aad: string, kdf: KdfParams = DEFAULT_KDF): Envelope {
  checkPassphrase(passphrase);
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const key = deriveKey(passphrase, salt, kdf);
  try {
    const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
    c.setAAD(Buffer.from(aad, 'utf8'));
    const ciphertext = Buffer.concat([c.update(secret), c.final()]);
    return {
      v: 1,
      kdf: { name: 'scrypt', ...kdf, salt: salt.toString('base64') },
      cipher: { name: 'aes-256-gcm', nonce: nonce.toString('base64'), tag: c.getAuthTag().toString('base64') },
      ciphertext: ciphertext.toString('base64'),
    };
  } finally {
    key.fill(0);
  }
}

/** Decrypts an envelope; a wrong passphrase and a tampered envelope both fail the same way. */
export function open(envelope: unknown, passphrase: string, aad: string): Buffer {
  const parsed = EnvelopeSchema.safeParse(envelope);
  if (!parsed.success) throw new FerryError('The stored private key is damaged or in an unknown format.');
  const e = parsed.data;
  const key = deriveKey(passphrase, Buffer.from(e.kdf.salt, 'base64'), e.kdf);
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(e.cipher.nonce, 'base64'), { authTagLength: 16 });
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(Buffer.from(e.cipher.tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(e.ciphertext, 'base64')), d.final()]);
  } catch {
    throw new FerryError('Wrong passphrase (or the stored key was altered).', undefined, 'WrongPassphrase');
  } finally {
    key.fill(0);
  }
}
