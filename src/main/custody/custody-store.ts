import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { CustodyEvent } from '../../shared/api';
import { canonicalJson } from '../bundle/canonical-json';
import { isoWithOffset } from '../core/clock';
import type { Db } from '../db/database';

export const GENESIS_HASH = '0'.repeat(64);

export interface Identity {
  actor: string;
  station: string;
}

export interface AppendInput {
  type: string;
  role: string;
  bundleId?: string | null;
  details?: Record<string, unknown>;
}

interface Row {
  seq: number;
  event_id: string;
  bundle_id: string | null;
  type: string;
  actor: string;
  role: string;
  station: string;
  at: string;
  details: string;
  prev_hash: string;
  hash: string;
}

/** The hash covers every field of the event except the hash itself. */
export function eventHash(e: Omit<CustodyEvent, 'hash'>): string {
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
      }),
    )
    .digest('hex');
}

function fromRow(r: Row): CustodyEvent {
  return {
    seq: r.seq,
    eventId: r.event_id,
    bundleId: r.bundle_id,
    type: r.type,
    actor: r.actor,
    role: r.role,
    station: r.station,
    at: r.at,
    details: JSON.parse(r.details) as Record<string, unknown>,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/**
 * Append-only, hash-chained custody log. Each event carries the hash of the one before;
 * the database refuses updates and deletes (triggers in the schema).
 */
export class CustodyStore extends EventEmitter<{ appended: [CustodyEvent] }> {
  constructor(
    private readonly db: Db,
    private readonly identity: Identity,
  ) {
    super();
  }

  append(input: AppendInput): CustodyEvent {
    const event = this.db.transaction((): CustodyEvent => {
      const head = this.db.prepare('SELECT seq, hash FROM custody_events ORDER BY seq DESC LIMIT 1').get() as
        | { seq: number; hash: string }
        | undefined;
      const base: Omit<CustodyEvent, 'hash'> = {
        seq: (head?.seq ?? 0) + 1,
        eventId: randomUUID(),
        bundleId: input.bundleId ?? null,
        type: input.type,
        actor: this.identity.actor,
        role: input.role,
        station: this.identity.station,
        at: isoWithOffset(),
        details: input.details ?? {},
        prevHash: head?.hash ?? GENESIS_HASH,
      };
      const full: CustodyEvent = { ...base, hash: eventHash(base) };
      this.db
        .prepare(
          `INSERT INTO custody_events (seq, event_id, bundle_id, type, actor, role, station, at, details, prev_hash, hash)
           VALUES (@seq, @eventId, @bundleId, @type, @actor, @role, @station, @at, @details, @prevHash, @hash)`,
        )
        .run({ ...full, details: JSON.stringify(full.details) });
      return full;
    }).immediate();
    this.emit('appended', event);
    return event;
  }

  list(opts: { bundleId?: string; limit?: number } = {}): CustodyEvent[] {
    const limit = Math.min(Math.max(opts.limit ?? 500, 1), 10_000);
    const rows = (
      opts.bundleId
        ? this.db.prepare('SELECT * FROM custody_events WHERE bundle_id = ? ORDER BY seq DESC LIMIT ?').all(opts.bundleId, limit)
        : this.db.prepare('SELECT * FROM custody_events ORDER BY seq DESC LIMIT ?').all(limit)
    ) as Row[];
    return rows.map(fromRow);
  }

  /** Recomputes the chain from the rows; returns the first broken event, if any. */
  verifyChain(): { ok: true; count: number } | { ok: false; seq: number; eventId: string; reason: string } {
    let prev = GENESIS_HASH;
    let expectedSeq = 1;
    let count = 0;
    for (const r of this.db.prepare('SELECT * FROM custody_events ORDER BY seq').iterate() as Iterable<Row>) {
      const e = fromRow(r);
      if (e.seq !== expectedSeq) return { ok: false, seq: e.seq, eventId: e.eventId, reason: `expected event #${expectedSeq} next` };
      if (e.prevHash !== prev) return { ok: false, seq: e.seq, eventId: e.eventId, reason: 'previous-hash link does not match' };
      if (eventHash(e) !== e.hash) return { ok: false, seq: e.seq, eventId: e.eventId, reason: 'event content does not match its hash' };
      prev = e.hash;
      expectedSeq++;
      count++;
    }
    return { ok: true, count };
  }
}
