import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { CustodyEvent } from '../../shared/api';
import { isoWithOffset } from '../core/clock';
import type { Db } from '../db/database';
import { SIG } from '../identity/keys';
import { eventHash, GENESIS_HASH, verifyEvents, type ChainVerdict, type KeyLookup } from './custody-verify';

export { eventHash, GENESIS_HASH };

export interface Identity {
  actor: string;
  station: string;
  /** The station's location, from its settings. */
  location?: string;
  /** Fingerprint of the acting identity's key, when one is unlocked. */
  fingerprint?: string;
}

/** Signs event hashes with the acting identity's key. */
export interface Signer {
  fingerprint: string;
  sign(context: string, message: Buffer | string): string;
}

export interface AppendInput {
  type: string;
  role: string;
  bundleId?: string | null;
  details?: Record<string, unknown>;
  /** This one event is by another identity (e.g. a reviewer's decision), signed with its key. */
  as?: { actor: string; signer: Signer };
}

/** A custody_events (or custody_imported) row as stored. */
export interface CustodyRow {
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
  signature: string | null;
  signer: string | null;
  location: string | null;
}

/** A stored row as the event it records (the same mapping for local and imported rows). */
export function fromRow(r: CustodyRow): CustodyEvent {
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
    ...(r.location !== null ? { location: r.location } : {}),
    ...(r.signer !== null ? { signer: r.signer } : {}),
    ...(r.signature !== null ? { signature: r.signature } : {}),
  };
}

/** This station's own events can only be signed by this station's identities. */
export function stationKeys(db: Db): KeyLookup {
  const q = db.prepare('SELECT public_key FROM identities WHERE fingerprint = ?');
  return (fp) => (q.get(fp) as { public_key: string } | undefined)?.public_key;
}

/**
 * Append-only, hash-chained custody log. Each event carries the hash of the one before;
 * the database refuses updates and deletes (triggers in the schema).
 */
export class CustodyStore extends EventEmitter<{ appended: [CustodyEvent] }> {
  private signer: Signer | undefined;

  constructor(
    private readonly db: Db,
    private identity: Identity,
  ) {
    super();
  }

  /**
   * A view of this store whose appends are by `as` (unless an append names another): what a
   * job or a handler passes down so that everything it records is signed by its caller.
   * Reads, events and the chain are this store's own.
   */
  signedBy(as: { actor: string; signer: Signer }): CustodyStore {
    const parent = this;
    const view = Object.create(this) as CustodyStore;
    const identity: Identity = { ...this.identity, actor: as.actor, fingerprint: as.signer.fingerprint };
    Object.defineProperties(view, {
      append: { value: (input: AppendInput) => parent.append({ ...input, as: input.as ?? as }) },
      acting: { get: () => identity },
      signedBy: { value: (other: { actor: string; signer: Signer }) => parent.signedBy(other) },
    });
    return view;
  }

  /** From now on events carry this actor and are signed with this key (the CLI's one identity per process). */
  actAs(identity: Identity, signer: Signer): void {
    this.identity = { ...identity, fingerprint: signer.fingerprint };
    this.signer = signer;
  }

  get acting(): Readonly<Identity> {
    return this.identity;
  }

  /** The station's name or location changed in its settings (onboarding, Settings): later events carry the new ones. */
  setStation(station: string, location?: string): void {
    const { location: _old, ...rest } = this.identity;
    this.identity = { ...rest, station, ...(location ? { location } : {}) };
  }

  append(input: AppendInput): CustodyEvent {
    const event = this.db.transaction((): CustodyEvent => {
      const head = this.db.prepare('SELECT seq, hash FROM custody_events ORDER BY seq DESC LIMIT 1').get() as
        | { seq: number; hash: string }
        | undefined;
      const signer = input.as?.signer ?? this.signer;
      const base: Omit<CustodyEvent, 'hash' | 'signature'> = {
        seq: (head?.seq ?? 0) + 1,
        eventId: randomUUID(),
        bundleId: input.bundleId ?? null,
        type: input.type,
        actor: input.as?.actor ?? this.identity.actor,
        role: input.role,
        station: this.identity.station,
        at: isoWithOffset(),
        details: input.details ?? {},
        prevHash: head?.hash ?? GENESIS_HASH,
        ...(this.identity.location ? { location: this.identity.location } : {}),
        ...(signer ? { signer: signer.fingerprint } : {}),
      };
      const hash = eventHash(base);
      const full: CustodyEvent = { ...base, hash, ...(signer ? { signature: signer.sign(SIG.custodyEvent, hash) } : {}) };
      this.db
        .prepare(
          `INSERT INTO custody_events (seq, event_id, bundle_id, type, actor, role, station, at, details, prev_hash, hash, location, signer, signature)
           VALUES (@seq, @eventId, @bundleId, @type, @actor, @role, @station, @at, @details, @prevHash, @hash, @location, @signer, @signature)`,
        )
        .run({ location: null, signer: null, signature: null, ...full, details: JSON.stringify(full.details) });
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
    ) as CustodyRow[];
    return rows.map(fromRow);
  }

  /** Every event of one bundle, oldest first. */
  bundleEvents(bundleId: string): CustodyEvent[] {
    return (this.db.prepare('SELECT * FROM custody_events WHERE bundle_id = ? ORDER BY seq').all(bundleId) as CustodyRow[]).map(fromRow);
  }

  head(): CustodyEvent | undefined {
    const r = this.db.prepare('SELECT * FROM custody_events ORDER BY seq DESC LIMIT 1').get() as CustodyRow | undefined;
    return r && fromRow(r);
  }

  /**
   * Recomputes the chain from the rows themselves and checks every signature; returns the
   * first modified, deleted, reordered, inserted or forged event, if any.
   */
  verifyChain(keys: KeyLookup = stationKeys(this.db)): ChainVerdict {
    const rows = this.db.prepare('SELECT * FROM custody_events ORDER BY seq').iterate() as Iterable<CustodyRow>;
    return verifyEvents((function* () {
      for (const r of rows) yield fromRow(r);
    })(), keys);
  }
}
