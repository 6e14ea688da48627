import { createHash } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';

/** What a Sigstore bundle is expected to sign: the bytes, or their sha256 as `sha256:<hex>`. */
export type SigstoreArtifact = { digest: string } | { data: Buffer };

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const IN_TOTO_STATEMENT_TYPES = new Set(['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1']);
const DIGEST = /^sha256:([a-f0-9]{64})$/;

/** The artifact's sha256 as lowercase hex, or a reason it cannot be used. */
export function artifactSha256(artifact: SigstoreArtifact): { hex: string } | { reason: string } {
  if ('data' in artifact) {
    if (!Buffer.isBuffer(artifact.data)) return { reason: 'artifact.data must be a Buffer' };
    return { hex: createHash('sha256').update(artifact.data).digest('hex') };
  }
  const m = typeof artifact.digest === 'string' ? DIGEST.exec(artifact.digest) : null;
  if (!m) return { reason: `artifact digest ${JSON.stringify(artifact.digest)} must be sha256:<64 lowercase hex>` };
  return { hex: m[1] };
}

/**
 * Checks that the bundle's content is about this artifact. @sigstore/verify checks the
 * signature over the bundle's content; it does not check what a DSSE statement names, and
 * never compares a message signature's recorded digest with the artifact. Returns a reason
 * when the bundle is about something else, undefined when it is about this artifact.
 */
export function bundleArtifactProblem(bundle: Bundle, hex: string): string | undefined {
  const content = bundle.content;
  if (content.$case === 'messageSignature') {
    const md = content.messageSignature.messageDigest;
    // Loaded here, not at the top: a bundle exists only once sigstore-bundle.ts has loaded the packages.
    const { HashAlgorithm } = require('@sigstore/protobuf-specs') as typeof import('@sigstore/protobuf-specs');
    if (md && md.algorithm !== HashAlgorithm.SHA2_256) return `message digest algorithm ${HashAlgorithm[md.algorithm] ?? md.algorithm} is not SHA2_256`;
    if (md && Buffer.from(md.digest).toString('hex') !== hex) {
      return `the bundle signs sha256:${Buffer.from(md.digest).toString('hex')}, not the artifact sha256:${hex}`;
    }
    return undefined;
  }
  const env = content.dsseEnvelope;
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) return `DSSE payload type ${JSON.stringify(env.payloadType)} is not ${IN_TOTO_PAYLOAD_TYPE}`;
  let statement: unknown;
  try {
    statement = JSON.parse(Buffer.from(env.payload).toString('utf8'));
  } catch {
    return 'the DSSE payload is not JSON';
  }
  const st = statement as { _type?: unknown; subject?: unknown };
  if (typeof st !== 'object' || st === null || typeof st._type !== 'string' || !IN_TOTO_STATEMENT_TYPES.has(st._type)) {
    return 'the DSSE payload is not an in-toto Statement';
  }
  if (!Array.isArray(st.subject)) return 'the in-toto Statement has no subject list';
  const named = st.subject.some((s: unknown) => {
    const d = (s as { digest?: { sha256?: unknown } } | null)?.digest?.sha256;
    return typeof d === 'string' && d.toLowerCase() === hex;
  });
  if (!named) return `the in-toto Statement's subjects do not include sha256:${hex}`;
  return undefined;
}
