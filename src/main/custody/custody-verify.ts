import { createHash } from 'node:crypto';
import type { CustodyEvent } from '../../shared/api';
import { canonicalJson } from '../bundle/canonical-json';
import { SIG, verifyWith } from '../identity/keys';

export const GENESIS_HASH = '0'.repeat(64);

/** The hash covers every field of the event except the hash and the signature. */
export function eventHash(e: Omit<CustodyEvent, 'hash' | 'signature'>): string {
  return createHash('sha256')
    .update(
      canonicalJson({
        seq: e.seq,
        eventId: e.eventId,
        bundleId: e.bundleId,
        type: e.type,
        actor: e.actor,
        role: e.role,
        station: e.station,
        at: e.at,
        details: e.details,
        prevHash: e.prevHash,
        // Absent on unsigned events, so events written before identities keep their hashes.
        location: e.location,
        signer: e.signer,
      }),
    )
    .digest('hex');
}

/** Public key (raw, base64) for a signer fingerprint, if this station knows it. */
export type KeyLookup = (fingerprint: string) => string | undefined;

export type BreakKind = 'modified' | 'deleted' | 'reordered' | 'inserted' | 'signature';
export type ChainVerdict =
  | { ok: true; count: number; signed?: number; unsignedTail?: number }
  | { ok: false; seq: number; eventId: string; kind: BreakKind; reason: string };

/** Checks one event's signature; undefined when fine or unsigned. */
export function signatureProblem(e: CustodyEvent, keys: KeyLookup): string | undefined {
  if (!e.signer && !e.signature) return undefined;
  if (!e.signer || !e.signature) return 'has a signer without a signature (or the reverse)';
  const key = keys(e.signer);
  if (!key) return `is signed by an unknown key ${e.signer.slice(0, 16)}…`;
  if (!verifyWith(key, SIG.custodyEvent, e.hash, e.signature)) return `signature by ${e.signer.slice(0, 16)}… does not verify`;
  return undefined;
}

/**
 * Walks the chain in seq order and names the first event that was modified, deleted,
 * reordered or inserted. Signed events anchor everything before them: rewriting a row and
 * re-hashing every later one still breaks at the first signature after it.
 */
export function verifyEvents(events: Iterable<CustodyEvent>, keys: KeyLookup): ChainVerdict {
  const all = [...events];
  const position = new Map(all.map((e, i) => [e.hash, i]));
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let signed = 0;
  let unsignedTail = 0;
  for (let i = 0; i < all.length; i++) {
    const e = all[i]!;
    const fail = (kind: BreakKind, reason: string, at: CustodyEvent = e): ChainVerdict => ({ ok: false, seq: at.seq, eventId: at.eventId, kind, reason });
    const intact = eventHash(e) === e.hash;
    if (e.prevHash !== prev) {
      const linked = position.get(e.prevHash);
      if (linked !== undefined && linked > i) return fail('reordered', `reordered: it links to event #${all[linked]!.seq}, which comes after it`);
      if (linked !== undefined && linked === i - 2) return fail('inserted', `inserted: the next event #${e.seq} skips it and links to #${all[i - 2]!.seq}`, all[i - 1]!);
      if (all[i + 1]?.prevHash === prev) return fail('inserted', `inserted: the next event #${all[i + 1]!.seq} skips it`);
      if (e.seq !== expectedSeq) return fail('deleted', `event #${expectedSeq} is missing (deleted)${e.seq > expectedSeq + 1 ? ` up to #${e.seq - 1}` : ''}`);
      if (!intact) return fail('deleted', 'the event before it was deleted and the later ones renumbered');
      if (i > 0 && eventHash(all[i - 1]!) === all[i - 1]!.hash) {
        return fail('modified', `modified and re-hashed: the next event #${e.seq} links to a different version of it`, all[i - 1]!);
      }
      return fail('deleted', 'previous-hash link does not match: the event before it was deleted or replaced');
    }
    if (!intact) return fail('modified', 'modified: event content does not match its hash');
    if (e.seq !== expectedSeq) return fail('modified', `modified: numbered #${e.seq} where #${expectedSeq} belongs`);
    const bad = signatureProblem(e, keys);
    if (bad) return fail('signature', `forged: event ${bad}`);
    if (e.signer) {
      signed++;
      unsignedTail = 0;
    } else unsignedTail++;
    prev = e.hash;
    expectedSeq = e.seq + 1;
  }
  return { ok: true, count: all.length, ...(signed > 0 ? { signed, unsignedTail } : {}) };
}
