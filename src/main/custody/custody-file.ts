import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CustodyEvent } from '../../shared/api';
import { canonicalJson } from '../bundle/canonical-json';

// The custody log as it travels inside a bundle: custody/events.jsonl (one canonical-JSON
// event per line, with hash, prevHash and signature) and custody/head.json (what was
// exported, a digest over the ordered event hashes, the signers' public keys, and the
// exporting identity's signature over all of it).

export const CUSTODY_DIR = 'custody';
export const EVENTS_FILE = `${CUSTODY_DIR}/events.jsonl`;
export const HEAD_FILE = `${CUSTODY_DIR}/head.json`;
export const HEAD_FORMAT = 'ferry.custody.export.v1';
export const MAX_EVENTS_BYTES = 64 << 20;
export const MAX_HEAD_BYTES = 1 << 20;

const hex64 = z.string().regex(/^[a-f0-9]{64}$/);
const b64 = z.string().max(128).regex(/^[A-Za-z0-9+/]*={0,2}$/);

export const EventLineSchema = z.strictObject({
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  eventId: z.string().min(1).max(64),
  bundleId: z.string().max(64).nullable(),
  type: z.string().min(1).max(64),
  actor: z.string().max(255),
  role: z.string().max(32),
  station: z.string().max(255),
  at: z.string().max(64),
  details: z.record(z.string(), z.unknown()),
  prevHash: hex64,
  hash: hex64,
  location: z.string().max(255).optional(),
  signer: hex64.optional(),
  signature: b64.optional(),
});

export const KeyEntrySchema = z.strictObject({ fingerprint: hex64, name: z.string().max(128), role: z.string().max(32), publicKey: b64 });
export type KeyEntry = z.infer<typeof KeyEntrySchema>;

export const HeadSchema = z.strictObject({
  format: z.literal(HEAD_FORMAT),
  bundleId: z.uuid(),
  station: z.string().max(255),
  location: z.string().max(255).optional(),
  exportedAt: z.string().max(64),
  exportedBy: z.string().max(255),
  count: z.number().int().min(0).max(1_000_000),
  firstSeq: z.number().int().min(0),
  lastSeq: z.number().int().min(0),
  headHash: hex64.nullable(),
  listDigest: hex64,
  eventsSha256: hex64,
  keys: z.array(KeyEntrySchema).max(1000),
  signer: hex64.optional(),
  signature: b64.optional(),
});
export type CustodyHead = z.infer<typeof HeadSchema>;

/** sha256 over the ordered event hashes: any insertion, deletion or reordering changes it. */
export function listDigest(events: readonly Pick<CustodyEvent, 'hash'>[]): string {
  return createHash('sha256')
    .update(events.map((e) => e.hash).join('\n'))
    .digest('hex');
}

export function eventsBytes(events: readonly CustodyEvent[]): Buffer {
  return Buffer.from(events.map((e) => `${canonicalJson(e)}\n`).join(''));
}

/** What the head signature covers: the head without its signature. */
export function headMessage(head: CustodyHead): string {
  const { signature: _sig, ...rest } = head;
  return canonicalJson(rest);
}
