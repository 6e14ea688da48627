import { createHash } from 'node:crypto';
import { MediaFileError, parseMediaJson, readMediaFile } from '../io/media-file';
import type { CustodyEvent } from '../../shared/api';
import { FerryError } from '../../shared/errors';
import { fingerprintOf, SIG, verifyWith } from '../identity/keys';
import { EventLineSchema, EVENTS_FILE, HEAD_FILE, HeadSchema, headMessage, listDigest, MAX_EVENTS_BYTES, MAX_HEAD_BYTES, type CustodyHead } from './custody-file';
import { eventHash, signatureProblem } from './custody-verify';
import { custodyHeadEnvelopeProblem } from '../review/intoto-custody';

export interface MediaCustody {
  head: CustodyHead;
  events: CustodyEvent[];
  keys: Map<string, { name: string; role: string; publicKey: string }>;
  /** Other stations' events between two exported ones (other bundles); not a problem, shown for the record. */
  interleaved: number;
}

export class CustodyImportError extends FerryError {
  constructor(message: string, hint?: string) {
    super(message, hint, 'CustodyImportError');
  }
}

/** Through the one media reader: regular file, no symlinked folder, bounded, time-bounded. */
async function readBounded(dir: string, rel: string, max: number): Promise<Buffer> {
  try {
    return await readMediaFile(dir, rel, 'custody', { maxBytes: max });
  } catch (err) {
    if (err instanceof MediaFileError && err.code === 'ENOENT') {
      throw new CustodyImportError(`${rel} not found in ${dir}.`, 'Export it on the connected side: "ferry custody export DIR" (ferry review does it too).');
    }
    if (err instanceof MediaFileError) throw new CustodyImportError(err.message, err.hint);
    throw err;
  }
}

/** Strict: no duplicate keys, bounded nesting, a position (never content) on error. */
function parseJson(text: string, what: string): unknown {
  try {
    return parseMediaJson(Buffer.from(text, 'utf8'), what);
  } catch (err) {
    throw new CustodyImportError(err instanceof MediaFileError ? err.message : `${what} is not valid JSON.`);
  }
}

/**
 * Reads the custody log on media (hostile) and checks it on its own terms: every event's
 * hash, every signature against the keys it carries, the order and completeness against
 * the head's digest, links between events adjacent in the origin's chain, and the head
 * signature. Throws naming the first problem.
 */
export async function readMediaCustody(bundleDir: string, bundleId: string, manifestSha256?: string): Promise<MediaCustody> {
  const headParsed = HeadSchema.safeParse(parseJson((await readBounded(bundleDir, HEAD_FILE, MAX_HEAD_BYTES)).toString('utf8'), HEAD_FILE));
  if (!headParsed.success) throw new CustodyImportError(`${HEAD_FILE}: field ${headParsed.error.issues[0]!.path.join('.') || '(root)'} ${headParsed.error.issues[0]!.message}`);
  const head = headParsed.data;
  if (head.bundleId !== bundleId) throw new CustodyImportError(`${HEAD_FILE} is for bundle ${head.bundleId}, this bundle is ${bundleId}.`);
  const keys = new Map<string, { name: string; role: string; publicKey: string }>();
  for (const k of head.keys) {
    if (fingerprintOf(k.publicKey) !== k.fingerprint) throw new CustodyImportError(`${HEAD_FILE}: the key listed for ${k.name} does not match its fingerprint.`);
    keys.set(k.fingerprint, k);
  }
  if (head.signer) {
    const k = keys.get(head.signer);
    if (!k || !head.signature || !verifyWith(k.publicKey, SIG.custodyHead, headMessage(head), head.signature)) {
      throw new CustodyImportError(`${HEAD_FILE}: the head signature does not verify; the custody log on this media was altered.`);
    }
  }
  if (manifestSha256) {
    const envelope = await custodyHeadEnvelopeProblem(bundleDir, head, manifestSha256, (fp) => keys.get(fp)?.publicKey);
    if (envelope) throw new CustodyImportError(envelope);
  }
  const bytes = await readBounded(bundleDir, EVENTS_FILE, MAX_EVENTS_BYTES);
  const events: CustodyEvent[] = [];
  const lines = bytes.toString('utf8').split('\n').filter((l) => l.length > 0);
  for (const [i, line] of lines.entries()) {
    const p = EventLineSchema.safeParse(parseJson(line, `${EVENTS_FILE} line ${i + 1}`));
    if (!p.success) throw new CustodyImportError(`${EVENTS_FILE} line ${i + 1}: field ${p.error.issues[0]!.path.join('.')} ${p.error.issues[0]!.message}`);
    events.push(p.data as CustodyEvent);
  }
  let interleaved = 0;
  for (const [i, e] of events.entries()) {
    const name = `event #${e.seq} (${e.eventId})`;
    if (eventHash(e) !== e.hash) throw new CustodyImportError(`${EVENTS_FILE}: ${name} was modified: its content does not match its hash.`);
    if (e.bundleId !== bundleId) throw new CustodyImportError(`${EVENTS_FILE}: ${name} belongs to another bundle.`);
    const bad = signatureProblem(e, (fp) => keys.get(fp)?.publicKey);
    if (bad) throw new CustodyImportError(`${EVENTS_FILE}: ${name} ${bad}.`);
    const prev = events[i - 1];
    if (prev && e.seq <= prev.seq) throw new CustodyImportError(`${EVENTS_FILE}: ${name} is out of order.`);
    if (prev && e.seq === prev.seq + 1 && e.prevHash !== prev.hash) throw new CustodyImportError(`${EVENTS_FILE}: ${name} does not link to the event before it.`);
    if (prev) interleaved += e.seq - prev.seq - 1;
  }
  if (events.length !== head.count || listDigest(events) !== head.listDigest || (events.at(-1)?.hash ?? null) !== head.headHash) {
    throw new CustodyImportError(`${EVENTS_FILE} does not hold the events ${HEAD_FILE} lists (an event was inserted, removed or reordered).`);
  }
  if (createHash('sha256').update(bytes).digest('hex') !== head.eventsSha256) {
    throw new CustodyImportError(`${EVENTS_FILE} does not match the digest in ${HEAD_FILE}: it was altered after export.`);
  }
  return { head, events, keys, interleaved };
}
