import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../shared/errors';
import { readManifest } from '../bundle/manifest-io';
import { isoWithOffset } from '../core/clock';
import type { Db } from '../db/database';
import { SIG } from '../identity/keys';
import { writeCustodyHeadEnvelope } from '../review/intoto-custody';
import type { CustodyStore, Signer } from './custody-store';
import { CUSTODY_DIR, eventsBytes, EVENTS_FILE, HEAD_FILE, HEAD_FORMAT, headMessage, listDigest, type CustodyHead, type KeyEntry } from './custody-file';
import { writeFileAtomic } from '../io/atomic-write';

export interface ExportResult {
  bundleId: string;
  count: number;
  headHash: string | null;
  signed: boolean;
  files: string[];
}

/**
 * Writes every custody event of the bundle so far into `<bundle>/custody/`, with the head
 * signed by the acting identity when there is one. Re-exporting replaces the files with the
 * longer log. Export appends no event of its own, so the exported head is the real head.
 */
export async function exportCustody(bundleDir: string, custody: CustodyStore, db: Db, signer?: Signer): Promise<ExportResult> {
  const { manifest, sha256: manifestSha256 } = await readManifest(bundleDir);
  const events = custody.bundleEvents(manifest.bundleId);
  if (events.length === 0) throw new FerryError(`This station has no custody events for bundle ${manifest.bundleId}.`, 'Export on the station that created or reviewed it.');
  const verdict = custody.verifyChain();
  if (!verdict.ok) throw new FerryError(`This station's custody chain is broken at event #${verdict.seq}: ${verdict.reason}; nothing was exported.`);
  const bytes = eventsBytes(events);
  const signers = new Set(events.flatMap((e) => (e.signer ? [e.signer] : [])));
  if (signer) signers.add(signer.fingerprint);
  const keyQ = db.prepare('SELECT fingerprint, name, role, public_key AS publicKey FROM custody_keys WHERE fingerprint = ?');
  const keys = [...signers].map((fp) => keyQ.get(fp) as KeyEntry | undefined).filter((k): k is KeyEntry => !!k);
  const last = events[events.length - 1]!;
  const acting = custody.acting;
  const head: CustodyHead = {
    format: HEAD_FORMAT,
    bundleId: manifest.bundleId,
    station: acting.station,
    ...(acting.location ? { location: acting.location } : {}),
    exportedAt: isoWithOffset(),
    exportedBy: (signer && keys.find((k) => k.fingerprint === signer.fingerprint)?.name) || acting.actor,
    count: events.length,
    firstSeq: events[0]!.seq,
    lastSeq: last.seq,
    headHash: last.hash,
    listDigest: listDigest(events),
    eventsSha256: createHash('sha256').update(bytes).digest('hex'),
    keys,
    ...(signer ? { signer: signer.fingerprint } : {}),
  };
  if (signer) head.signature = signer.sign(SIG.custodyHead, headMessage(head));
  await mkdir(join(bundleDir, CUSTODY_DIR), { recursive: true });
  await writeFileAtomic(join(bundleDir, EVENTS_FILE), bytes);
  await writeFileAtomic(join(bundleDir, HEAD_FILE), Buffer.from(`${JSON.stringify(head, null, 2)}\n`));
  // The same head as an in-toto statement in a DSSE envelope, for tools other than Ferry (review/intoto-custody.ts).
  const envelope = await writeCustodyHeadEnvelope(bundleDir, head, manifestSha256, signer);
  return { bundleId: manifest.bundleId, count: events.length, headHash: last.hash, signed: !!signer, files: [EVENTS_FILE, HEAD_FILE, ...(envelope ? [envelope] : [])] };
}

