/**
 * ECDSA verification over a digest that was computed elsewhere ("prehashed").
 *
 * A Sigstore message signature is ECDSA over sha256(artifact). When Ferry holds only the
 * artifact's digest (an image manifest named by digest), node:crypto cannot check the signature:
 * its verify always hashes the input again, and no installed library verifies a prehashed ECDSA
 * signature. This is the textbook verification (SEC 1 §4.1.4 / FIPS 186-5 §6.4.2) for NIST P-256
 * and P-384 on public data only; test/unit/sigstore-prehash.test.ts cross-checks it against
 * node:crypto on fresh keys and signatures.
 */
import type { KeyObject } from 'node:crypto';

interface Curve {
  p: bigint;
  n: bigint;
  b: bigint;
  gx: bigint;
  gy: bigint;
  bits: number;
}

// a = -3 for both curves.
const CURVES: Record<string, Curve> = {
  'P-256': {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    bits: 256,
  },
  'P-384': {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    bits: 384,
  },
};

/** Jacobian coordinates (x = X/Z², y = Y/Z³); Z = 0 is the point at infinity. */
type Jacobian = { X: bigint; Y: bigint; Z: bigint };
const INFINITY: Jacobian = { X: 1n, Y: 1n, Z: 0n };

const mod = (a: bigint, m: bigint): bigint => {
  const r = a % m;
  return r < 0n ? r + m : r;
};

function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return mod(s0, m);
}

function double(c: Curve, P: Jacobian): Jacobian {
  if (P.Z === 0n || P.Y === 0n) return INFINITY;
  const p = c.p;
  const ZZ = mod(P.Z * P.Z, p);
  const YY = mod(P.Y * P.Y, p);
  const M = mod(3n * (P.X - ZZ) * (P.X + ZZ), p); // a = -3
  const S = mod(4n * P.X * YY, p);
  const X = mod(M * M - 2n * S, p);
  return { X, Y: mod(M * (S - X) - 8n * YY * YY, p), Z: mod(2n * P.Y * P.Z, p) };
}

function add(c: Curve, P: Jacobian, Q: Jacobian): Jacobian {
  if (P.Z === 0n) return Q;
  if (Q.Z === 0n) return P;
  const p = c.p;
  const Z1Z1 = mod(P.Z * P.Z, p);
  const Z2Z2 = mod(Q.Z * Q.Z, p);
  const U1 = mod(P.X * Z2Z2, p);
  const U2 = mod(Q.X * Z1Z1, p);
  const S1 = mod(P.Y * Q.Z * Z2Z2, p);
  const S2 = mod(Q.Y * P.Z * Z1Z1, p);
  const H = mod(U2 - U1, p);
  const R = mod(S2 - S1, p);
  if (H === 0n) return R === 0n ? double(c, P) : INFINITY;
  const HH = mod(H * H, p);
  const HHH = mod(H * HH, p);
  const V = mod(U1 * HH, p);
  const X = mod(R * R - HHH - 2n * V, p);
  return { X, Y: mod(R * (V - X) - S1 * HHH, p), Z: mod(H * P.Z * Q.Z, p) };
}

/** u1·G + u2·Q (Shamir's trick), as an affine x coordinate, or undefined at infinity. */
function combinedX(c: Curve, u1: bigint, u2: bigint, Q: { x: bigint; y: bigint }): bigint | undefined {
  const G: Jacobian = { X: c.gx, Y: c.gy, Z: 1n };
  const Qj: Jacobian = { X: Q.x, Y: Q.y, Z: 1n };
  const GQ = add(c, G, Qj);
  let R = INFINITY;
  const top = Math.max(u1.toString(2).length, u2.toString(2).length);
  for (let i = BigInt(top - 1); i >= 0n; i--) {
    R = double(c, R);
    const b1 = (u1 >> i) & 1n;
    const b2 = (u2 >> i) & 1n;
    if (b1 && b2) R = add(c, R, GQ);
    else if (b1) R = add(c, R, G);
    else if (b2) R = add(c, R, Qj);
  }
  if (R.Z === 0n) return undefined;
  const zi = inverse(R.Z, c.p);
  return mod(R.X * zi * zi, c.p);
}

const onCurve = (c: Curve, x: bigint, y: bigint): boolean =>
  x >= 0n && x < c.p && y >= 0n && y < c.p && mod(y * y - (x * x * x - 3n * x + c.b), c.p) === 0n;

const fromBase64url = (s: string | undefined): bigint => BigInt(`0x${Buffer.from(s ?? '', 'base64url').toString('hex') || '0'}`);

/** Strict DER `SEQUENCE { INTEGER r, INTEGER s }` with short lengths; undefined when malformed. */
function parseSignature(der: Buffer): { r: bigint; s: bigint } | undefined {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2 || der[1] >= 0x80) return undefined;
  const ints: bigint[] = [];
  let i = 2;
  for (let k = 0; k < 2; k++) {
    if (der[i] !== 0x02) return undefined;
    const len = der[i + 1];
    if (len === 0 || len >= 0x80 || i + 2 + len > der.length) return undefined;
    const body = der.subarray(i + 2, i + 2 + len);
    if (body[0] & 0x80) return undefined; // negative
    if (body.length > 1 && body[0] === 0 && !(body[1] & 0x80)) return undefined; // not minimal
    ints.push(BigInt(`0x${body.toString('hex')}`));
    i += 2 + len;
  }
  if (i !== der.length) return undefined;
  return { r: ints[0], s: ints[1] };
}

/**
 * True when `signature` (DER) is a valid ECDSA signature by `key` (P-256 or P-384) over
 * `digest`, the already computed hash of the message. False for anything else.
 */
export function verifyEcdsaPrehashed(key: KeyObject, digest: Buffer, signature: Buffer): boolean {
  try {
    if (key.type !== 'public' || key.asymmetricKeyType !== 'ec') return false;
    const jwk = key.export({ format: 'jwk' });
    const c = CURVES[jwk.crv ?? ''];
    if (!c) return false;
    const Q = { x: fromBase64url(jwk.x), y: fromBase64url(jwk.y) };
    if (!onCurve(c, Q.x, Q.y)) return false;
    const sig = parseSignature(signature);
    if (!sig || sig.r < 1n || sig.r >= c.n || sig.s < 1n || sig.s >= c.n) return false;
    // e = leftmost min(bits(n), bits(digest)) bits of the digest.
    let e = BigInt(`0x${digest.toString('hex') || '0'}`);
    if (digest.length * 8 > c.bits) e >>= BigInt(digest.length * 8 - c.bits);
    const w = inverse(sig.s, c.n);
    const x = combinedX(c, mod(e * w, c.n), mod(sig.r * w, c.n), Q);
    if (x === undefined) return false;
    return mod(x, c.n) === sig.r;
  } catch {
    return false;
  }
}
