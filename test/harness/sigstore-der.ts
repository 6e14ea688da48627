/**
 * A small DER writer for the Sigstore test fixture: just enough ASN.1 to build X.509 v3
 * certificates (Fulcio-like CA and leaf, TSA) with node:crypto doing the signing.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

export const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
export const octets = (b: Buffer): Buffer => tlv(0x04, b);
export const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
export const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
export const bits = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
/** [n] EXPLICIT, constructed. */
export const explicit = (n: number, body: Buffer): Buffer => tlv(0xa0 | n, body);
/** [n] IMPLICIT, primitive (GeneralName choices such as rfc822Name [1] and URI [6]). */
export const implicit = (n: number, body: Buffer): Buffer => tlv(0x80 | n, body);

export function int(v: bigint | number | Buffer): Buffer {
  let b = Buffer.isBuffer(v) ? Buffer.from(v) : Buffer.from(toHex(BigInt(v)), 'hex');
  while (b.length > 1 && b[0] === 0 && b[1] < 0x80) b = b.subarray(1);
  if (b[0] >= 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function toHex(v: bigint): string {
  const h = v.toString(16);
  return h.length % 2 ? `0${h}` : h;
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0] + parts[1]];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [];
    let v = p;
    do {
      chunk.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i] |= 0x80;
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

export function time(d: Date): Buffer {
  const iso = d.toISOString();
  // UTCTime YYMMDDHHMMSSZ (years 1950–2049), GeneralizedTime after.
  const y = d.getUTCFullYear();
  const body = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return y < 2050 ? tlv(0x17, Buffer.from(body.slice(2), 'ascii')) : tlv(0x18, Buffer.from(body, 'ascii'));
}

export const name = (cn: string, org = 'Ferry test'): Buffer =>
  seq(set(seq(oid('2.5.4.10'), utf8(org))), set(seq(oid('2.5.4.3'), utf8(cn))));

export const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

export const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

export function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' }) as Buffer;
}

/** Subject key identifier as RFC 5280 method 1 would give (sha1 of the key), here over the SPKI. */
export function keyId(key: KeyObject): Buffer {
  return createHash('sha1').update(spki(key)).digest();
}

export interface TbsInput {
  serial: bigint;
  issuer: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
  extensions: Buffer[];
}

export function tbsCertificate(t: TbsInput): Buffer {
  return seq(
    explicit(0, int(2)),
    int(t.serial),
    ECDSA_SHA256,
    t.issuer,
    seq(time(t.notBefore), time(t.notAfter)),
    t.subject,
    spki(t.publicKey),
    explicit(3, seq(...t.extensions)),
  );
}

/** Certificate = SEQ(tbs, algorithm, signature) signed with ECDSA-SHA256 by `signer`. */
export function certificate(tbs: Buffer, signer: KeyObject): Buffer {
  return seq(tbs, ECDSA_SHA256, bits(sign('sha256', tbs, signer)));
}

export function pem(der: Buffer, label = 'CERTIFICATE'): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}
