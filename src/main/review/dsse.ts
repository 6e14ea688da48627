import { lstat, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../bundle/canonical-json';
import { MediaFileError, readMediaJson } from '../io/media-file';
import { SIG, verifyWith } from '../identity/keys';
import { writeFileAtomic } from '../io/atomic-write';

// DSSE (Dead Simple Signing Envelope, github.com/secure-systems-lab/dsse, v1): a payload, its
// type, and signatures over the pre-authentication encoding (PAE) of both. Ferry signs the PAE
// bytes as they are with the identity's Ed25519 key, so `openssl pkeyutl -verify -rawin` checks
// it (docs/review-and-custody.md, "Verifying approvals without Ferry").

export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** Envelope files sit beside the statement they restate: `<base>.intoto.json`. */
export const ENVELOPE_SUFFIX = '.intoto.json';
/** An envelope file larger than this is refused before it is read (the same bound as statements). */
export const MAX_ENVELOPE_BYTES = 64 * 1024;

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be standard base64');
export const DsseEnvelopeSchema = z.strictObject({
  payloadType: z.string().min(1).max(256),
  payload: b64.max(MAX_ENVELOPE_BYTES),
  signatures: z.array(z.strictObject({ keyid: z.string().max(128), sig: b64.max(128) })).min(1).max(16),
});
export type DsseEnvelope = z.infer<typeof DsseEnvelopeSchema>;

/** Signs with a context (src/main/identity/keys.ts); an ActingIdentity and a custody Signer both are one. */
export interface DsseSigner {
  fingerprint: string;
  sign(context: string, message: Buffer | string): string;
}

/** `DSSEv1 <byte length of type> <type> <byte length of payload> <payload>`. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** One signature, keyid = the signer's key fingerprint (sha256 of the raw public key, hex). */
export function signEnvelope(payloadType: string, payload: Buffer, signer: DsseSigner): DsseEnvelope {
  return { payloadType, payload: payload.toString('base64'), signatures: [{ keyid: signer.fingerprint, sig: signer.sign(SIG.dssePae, pae(payloadType, payload)) }] };
}

/** The payload, when the signature with `key.fingerprint` as keyid verifies with `key.publicKey` (raw, base64). */
export function openEnvelope(env: DsseEnvelope, key: { fingerprint: string; publicKey: string }): { payload: Buffer } | { problem: string } {
  const payload = Buffer.from(env.payload, 'base64');
  if (payload.toString('base64') !== env.payload) return { problem: 'the payload is not canonical base64' };
  const sigs = env.signatures.filter((s) => s.keyid === key.fingerprint);
  if (sigs.length !== 1) return { problem: `${sigs.length === 0 ? 'no' : 'more than one'} signature with keyid ${key.fingerprint.slice(0, 16)}…` };
  if (!verifyWith(key.publicKey, SIG.dssePae, pae(env.payloadType, payload), sigs[0]!.sig)) return { problem: 'the DSSE signature does not verify' };
  return { payload };
}

/** Reads one envelope from media (hostile: regular file, bounded, strict JSON, schema-checked). */
export async function readEnvelope(root: string, rel: string): Promise<{ envelope: DsseEnvelope } | { problem: string }> {
  let value: unknown;
  try {
    value = (await readMediaJson(root, rel, 'statement', { maxBytes: MAX_ENVELOPE_BYTES, label: rel })).value;
  } catch (err) {
    if (err instanceof MediaFileError) return { problem: err.message };
    throw err;
  }
  const parsed = DsseEnvelopeSchema.safeParse(value);
  if (!parsed.success) return { problem: `not a valid DSSE envelope (field ${parsed.error.issues[0]!.path.join('.') || '(root)'})` };
  return { envelope: parsed.data };
}

/**
 * Writes an envelope as canonical JSON on one line (so a shell can cut it apart), atomically,
 * never over an existing file.
 */
export async function writeEnvelope(root: string, rel: string, env: DsseEnvelope, opts: { replace?: boolean } = {}): Promise<string> {
  const target = join(root, rel);
  await mkdir(dirname(target), { recursive: true });
  if (!opts.replace && (await lstat(target).then(() => true, () => false))) throw new Error(`${rel} already exists; not overwriting it.`);
  await writeFileAtomic(target, `${canonicalJson(env)}\n`);
  return rel;
}
