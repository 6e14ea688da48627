import { lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CUSTODY_DIR, HEAD_FILE, type CustodyHead } from '../custody/custody-file';
import { readEnvelope, writeEnvelope, type DsseSigner } from './dsse';
import { envelopeProblem, manifestStatement, signStatementEnvelope, type IntotoStatement } from './intoto-statement';

// The exported custody head (custody/head.json) restated as an in-toto Statement in a DSSE
// envelope, custody/head.intoto.json, signed by whoever exported it: subject the manifest, predicate
// the head's hash, event count, digests and exporter. Written only when the export is signed.

export const CUSTODY_HEAD_PREDICATE_TYPE = 'https://ferry.dev/custody-head/v1';
export const HEAD_ENVELOPE_FILE = `${CUSTODY_DIR}/head.intoto.json`;

export function custodyHeadIntoto(head: CustodyHead, manifestSha256: string): IntotoStatement<Record<string, unknown>> {
  return manifestStatement(manifestSha256, CUSTODY_HEAD_PREDICATE_TYPE, {
    bundleId: head.bundleId,
    station: head.station,
    ...(head.location ? { location: head.location } : {}),
    exportedAt: head.exportedAt,
    exportedBy: head.exportedBy,
    exporter: head.signer ?? null,
    count: head.count,
    firstSeq: head.firstSeq,
    lastSeq: head.lastSeq,
    headHash: head.headHash,
    listDigest: head.listDigest,
    eventsSha256: head.eventsSha256,
  });
}

/** Writes (or replaces) the envelope for a signed head; removes a stale one when the head is unsigned. Returns its path, if written. */
export async function writeCustodyHeadEnvelope(bundleDir: string, head: CustodyHead, manifestSha256: string, signer: DsseSigner | undefined): Promise<string | undefined> {
  if (!signer) {
    await rm(join(bundleDir, HEAD_ENVELOPE_FILE), { force: true });
    return undefined;
  }
  return writeEnvelope(bundleDir, HEAD_ENVELOPE_FILE, signStatementEnvelope(custodyHeadIntoto(head, manifestSha256), signer), { replace: true });
}

/**
 * Checks custody/head.intoto.json, when the bundle carries one, against the head it restates:
 * signed by the head's signer (key from the head's verified key list), over this manifest, with
 * the same hash, count and digests. Absent is fine (exports before envelopes existed).
 */
export async function custodyHeadEnvelopeProblem(bundleDir: string, head: CustodyHead, manifestSha256: string, keyOf: (fingerprint: string) => string | undefined): Promise<string | undefined> {
  const present = await lstat(join(bundleDir, HEAD_ENVELOPE_FILE)).then(
    () => true,
    (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? false : Promise.reject(err)),
  );
  if (!present) return undefined;
  const r = await readEnvelope(bundleDir, HEAD_ENVELOPE_FILE);
  if ('problem' in r) return `${HEAD_ENVELOPE_FILE}: ${r.problem}`;
  if (!head.signer) return `${HEAD_ENVELOPE_FILE} is present but ${HEAD_FILE} is unsigned; the custody log on this media was altered.`;
  const publicKey = keyOf(head.signer);
  if (!publicKey) return `${HEAD_ENVELOPE_FILE}: the head's signer ${head.signer.slice(0, 16)}… is not among the keys ${HEAD_FILE} lists.`;
  const p = envelopeProblem(r.envelope, { fingerprint: head.signer, publicKey }, custodyHeadIntoto(head, manifestSha256), HEAD_FILE);
  return p ? `${HEAD_ENVELOPE_FILE} disagrees with ${HEAD_FILE}: ${p}.` : undefined;
}
