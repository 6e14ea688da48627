import { createHash, verify, type KeyObject } from 'node:crypto';
import { parseCosignKey } from './policy';
import { SIGSTORE_BUNDLE_MEDIA_TYPES } from './sigstore-bundle';

// cosign's key-signature format, checked exactly as cosign does (sigstore/cosign pkg/oci and
// pkg/cosign/verify.go): a manifest (tag sha256-<hex>.sig, or an OCI referrer) whose layers of media
// type application/vnd.dev.cosign.simplesigning.v1+json hold the "simple signing" payload, each with
// the annotation dev.cosignproject.cosign/signature = base64 ECDSA-P256 (ASN.1 DER) signature over
// the layer's bytes (SHA-256). The payload names the image: critical.image.docker-manifest-digest.

export const COSIGN_SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
/** cosign's artifactType for signatures stored as OCI referrers (`--registry-referrers-mode oci-1-1`). */
export const COSIGN_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
/** Media types (layer or artifactType) of Sigstore bundles, as the Sigstore verifier accepts them. */
export const SIGSTORE_BUNDLE_TYPES: readonly string[] = SIGSTORE_BUNDLE_MEDIA_TYPES;

/** cosign's tag for the signatures of `digest`. */
export const cosignSignatureTag = (digest: string): string => `${digest.replace(':', '-')}.sig`;
/** The OCI referrers tag schema's tag for `digest` (registries without the referrers API). */
export const referrersTag = (digest: string): string => digest.replace(':', '-');

/** A signature or attestation manifest with what is needed to check it (read from a registry or the bundle). */
export interface SignatureArtifact {
  digest: string;
  mediaType: string;
  tag?: string;
  artifactType?: string;
  manifest: Buffer;
}

/** Reads a blob of an artifact by digest (verified by the caller's store); undefined when absent. */
export type BlobReader = (digest: string, size: number) => Promise<Buffer | undefined>;

export type CheckVerdict = { ok: true; signer: string; detail: string } | { ok: false; reason: string };

interface Layer {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** The layers of a manifest (an index has none), tolerant of unknown fields; undefined when not JSON. */
export function manifestLayers(bytes: Buffer): { layers: Layer[]; config?: Layer; artifactType?: string; subject?: string } | undefined {
  let v: { layers?: unknown; config?: unknown; artifactType?: unknown; subject?: { digest?: unknown } };
  try {
    v = JSON.parse(bytes.toString('utf8')) as typeof v;
  } catch {
    return undefined;
  }
  const ok = (d: unknown): d is Layer => !!d && typeof d === 'object' && typeof (d as Layer).digest === 'string' && /^sha256:[a-f0-9]{64}$/.test((d as Layer).digest) && Number.isSafeInteger((d as Layer).size) && typeof (d as Layer).mediaType === 'string';
  const layers = Array.isArray(v.layers) ? v.layers.filter(ok) : [];
  return {
    layers,
    ...(ok(v.config) ? { config: v.config } : {}),
    ...(typeof v.artifactType === 'string' ? { artifactType: v.artifactType } : {}),
    ...(typeof v.subject?.digest === 'string' ? { subject: v.subject.digest } : {}),
  };
}

/** Checks one simple-signing payload against the image digest; the reason names what is wrong. */
export function checkPayload(payload: Buffer, imageDigest: string): { ok: true; reference: string } | { ok: false; reason: string } {
  let p: { critical?: { identity?: { 'docker-reference'?: unknown }; image?: { 'docker-manifest-digest'?: unknown }; type?: unknown } };
  try {
    p = JSON.parse(payload.toString('utf8')) as typeof p;
  } catch {
    return { ok: false, reason: 'the signed payload is not JSON' };
  }
  const c = p?.critical;
  if (c?.type !== COSIGN_SIGNATURE_TYPE) return { ok: false, reason: `the payload's critical.type is ${JSON.stringify(c?.type ?? null)}, not "${COSIGN_SIGNATURE_TYPE}"` };
  const digest = c.image?.['docker-manifest-digest'];
  if (digest !== imageDigest) return { ok: false, reason: `the payload signs ${typeof digest === 'string' ? digest : 'no digest'}, not the image's ${imageDigest}` };
  const ref = c.identity?.['docker-reference'];
  if (typeof ref !== 'string' || ref.length === 0) return { ok: false, reason: 'the payload has no critical.identity.docker-reference' };
  return { ok: true, reference: ref };
}

/**
 * Verifies cosign key signatures: true when at least one simple-signing layer of the artifacts is
 * signed by `publicKeyPem` and its payload names `imageDigest`. Otherwise the reason says what was
 * found (nothing, another key, another digest).
 */
export async function verifyCosignKey(artifacts: SignatureArtifact[], imageDigest: string, publicKeyPem: string, blob: BlobReader): Promise<CheckVerdict> {
  const { key, fingerprint } = parseCosignKey(publicKeyPem, 'signature policy');
  const reasons: string[] = [];
  let candidates = 0;
  for (const a of artifacts) {
    const m = manifestLayers(a.manifest);
    for (const l of m?.layers ?? []) {
      if (l.mediaType !== COSIGN_SIMPLESIGNING) continue;
      const sig = l.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
      if (!sig) continue;
      candidates++;
      const v = await checkLayer(l, sig, key, imageDigest, blob);
      if (v.ok) return { ok: true, signer: `cosign key sha256:${fingerprint}`, detail: `signature ${a.tag ?? a.digest} (docker-reference ${v.reference})` };
      reasons.push(v.reason);
    }
  }
  if (candidates === 0) return { ok: false, reason: 'no cosign signature found (no sha256-<hex>.sig tag and no signature referrer)' };
  return { ok: false, reason: `${candidates} cosign signature(s) found, none valid for key sha256:${fingerprint}: ${[...new Set(reasons)].join('; ')}` };
}

async function checkLayer(l: Layer, sigB64: string, key: KeyObject, imageDigest: string, blob: BlobReader): Promise<{ ok: true; reference: string } | { ok: false; reason: string }> {
  const payload = await blob(l.digest, l.size);
  if (!payload) return { ok: false, reason: `the signed payload ${l.digest} is missing` };
  if (`sha256:${createHash('sha256').update(payload).digest('hex')}` !== l.digest) return { ok: false, reason: `the signed payload does not match its digest ${l.digest}` };
  const sig = Buffer.from(sigB64, 'base64');
  let good = false;
  try {
    good = verify('sha256', payload, { key, dsaEncoding: 'der' }, sig);
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'the signature does not verify with the required key (signed by another key, or altered)' };
  return checkPayload(payload, imageDigest);
}
