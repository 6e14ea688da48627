import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { UsageError } from '../../shared/errors';

// Ed25519 keys: public keys travel as the raw 32 bytes in base64; a fingerprint is the
// sha256 of those raw bytes, stored as 64 hex characters and shown grouped for people.

export const ROLES = ['operator', 'reviewer', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(v: string): v is Role {
  return (ROLES as readonly string[]).includes(v);
}

export interface KeyPair {
  publicKey: string; // raw 32 bytes, base64
  fingerprint: string; // sha256(raw public key), hex
  privateDer: Buffer; // PKCS#8 DER; callers encrypt it at once and wipe it
}

export function generateKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(publicKey);
  return { publicKey: raw.toString('base64'), fingerprint: fingerprintOf(raw), privateDer: privateKey.export({ format: 'der', type: 'pkcs8' }) };
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url');
}

/** Decodes a base64 raw Ed25519 public key, refusing anything that is not 32 bytes. */
export function publicKeyObject(publicKeyB64: string): KeyObject {
  const raw = Buffer.from(publicKeyB64, 'base64');
  if (raw.length !== 32 || raw.toString('base64') !== publicKeyB64) throw new UsageError('Not an Ed25519 public key (expected 32 bytes, base64).');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** Accepts a base64 raw key or an SPKI PEM; returns the raw key in base64. */
export function normalizePublicKey(text: string): string {
  const t = text.trim();
  if (t.startsWith('-----BEGIN PUBLIC KEY-----')) {
    const key = createPublicKey(t);
    if (key.asymmetricKeyType !== 'ed25519') throw new UsageError(`Not an Ed25519 key (${key.asymmetricKeyType}).`);
    return rawPublicKey(key).toString('base64');
  }
  publicKeyObject(t);
  return t;
}

export function fingerprintOf(raw: Buffer | string): string {
  return createHash('sha256')
    .update(typeof raw === 'string' ? Buffer.from(raw, 'base64') : raw)
    .digest('hex');
}

/** `SHA256:ab12 cd34 …` — the form people read aloud and compare. */
export function formatFingerprint(hex: string): string {
  return `SHA256:${hex.match(/.{1,4}/g)!.join(' ')}`;
}

/** Accepts `SHA256:ab12 cd34…`, `ab12:cd34…` or plain hex (any case); returns 64 hex or undefined. */
export function parseFingerprint(text: string): string | undefined {
  const hex = text
    .trim()
    .replace(/^sha256:/i, '')
    .replace(/[\s:]/g, '')
    .toLowerCase();
  return /^[a-f0-9]{64}$/.test(hex) ? hex : undefined;
}

export function publicKeyPem(publicKeyB64: string): string {
  return publicKeyObject(publicKeyB64).export({ format: 'pem', type: 'spki' }).toString();
}

export function privateKeyObject(der: Buffer): KeyObject {
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/** Signs `context || 0x00 || message` so a signature for one purpose is never valid for another. */
export function signWith(key: KeyObject, context: string, message: Buffer | string): string {
  return sign(null, framed(context, message), key).toString('base64');
}

export function verifyWith(publicKeyB64: string, context: string, message: Buffer | string, signatureB64: string): boolean {
  try {
    const sig = Buffer.from(signatureB64, 'base64');
    if (sig.length !== 64) return false;
    return verify(null, framed(context, message), publicKeyObject(publicKeyB64), sig);
  } catch {
    return false;
  }
}

function framed(context: string, message: Buffer | string): Buffer {
  if (context === SIG.dssePae) return dssePaeOnly(message);
  return Buffer.concat([Buffer.from(context, 'utf8'), Buffer.from([0]), typeof message === 'string' ? Buffer.from(message, 'utf8') : message]);
}

/** Signature contexts: one per kind of signed thing. */
export const SIG = {
  custodyEvent: 'ferry.custody.event.v1',
  custodyHead: 'ferry.custody.head.v1',
  statement: 'ferry.review.statement.v1',
  /** DSSE v1: the signed bytes are exactly the PAE, which is its own domain separation (src/main/review/dsse.ts). */
  dssePae: 'DSSEv1',
} as const;

/**
 * Only a well-formed DSSE PAE (`DSSEv1 <len> <type> <len> <payload>`) is signed as it is: it starts
 * with "DSSEv1 ", which no framed message (context "ferry.…" then 0x00) can, so neither kind of
 * signature is ever valid as the other.
 */
function dssePaeOnly(message: Buffer | string): Buffer {
  const b = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  const m = /^DSSEv1 (0|[1-9][0-9]{0,8}) /.exec(b.subarray(0, 20).toString('latin1'));
  const typeLen = m ? Number(m[1]) : -1;
  const rest = m ? m[0].length + typeLen : 0;
  const n = m && b[rest] === 0x20 ? /^(0|[1-9][0-9]{0,9}) /.exec(b.subarray(rest + 1, rest + 13).toString('latin1')) : null;
  if (!m || !n || b.length - (rest + 1 + n[0].length) !== Number(n[1])) throw new Error('Not a DSSE v1 pre-authentication encoding (PAE).');
  return b;
}
