import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// AES-256-GCM with the registry and user name as associated data: a secret copied onto another
// registry's or user's row does not decrypt. Layout: version (1) | IV (12) | tag (16) | ciphertext.

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEAD = 1 + IV_BYTES + TAG_BYTES;

function aad(registry: string, username: string): Buffer {
  return Buffer.from(`ferry-credential-v1\0${registry}\0${username}`, 'utf8');
}

export function sealSecret(key: Buffer, registry: string, username: string, secret: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(registry, username));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

/** The secret, or undefined when the key, registry or user name does not match (or the blob is damaged). */
export function openSecret(key: Buffer, registry: string, username: string, blob: Buffer): string | undefined {
  if (blob.length < HEAD || blob[0] !== VERSION) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 1 + IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(registry, username));
    decipher.setAuthTag(blob.subarray(1 + IV_BYTES, HEAD));
    return Buffer.concat([decipher.update(blob.subarray(HEAD)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
