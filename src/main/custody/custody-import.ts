import type { CustodyEvent } from '../../shared/api';
import { readManifest } from '../bundle/manifest-io';
import { isoWithOffset } from '../core/clock';
import type { Db } from '../db/database';
import { TrustStore } from '../identity/trust-store';
import { CustodyImportError, readMediaCustody } from './custody-read';
import { fromRow, type CustodyRow, type CustodyStore } from './custody-store';
import { eventHash, signatureProblem } from './custody-verify';
import type { CustodyImportResult } from '../../shared/channels/custody-admin';
export type { CustodyImportResult };


interface ImportedRow extends CustodyRow {
  origin_station: string;
  position: number;
}

export const importedEvent = (r: ImportedRow): CustodyEvent => fromRow(r);

export function importedEvents(db: Db, bundleId: string): (CustodyEvent & { origin: string })[] {
  const rows = db.prepare('SELECT * FROM custody_imported WHERE bundle_id = ? ORDER BY origin_station, position').all(bundleId) as ImportedRow[];
  return rows.map((r) => ({ ...importedEvent(r), origin: r.origin_station }));
}

/**
 * Takes the custody log a bundle carries into this station: checks it (custody-read), then
 * compares it with what the station already holds from that origin. A media copy that
 * disagrees with the station copy, or lacks events the station already has, is refused.
 * New events go into custody_imported; one local event continues the chain from their head.
 */
export async function importCustody(bundleDir: string, db: Db, custody: CustodyStore, role = 'admin'): Promise<CustodyImportResult> {
  const { manifest, sha256 } = await readManifest(bundleDir);
  const media = await readMediaCustody(bundleDir, manifest.bundleId, sha256);
  const origin = media.head.station;
  if (origin === custody.acting.station) throw new CustodyImportError(`This custody log comes from this station (${origin}); there is nothing to import.`);
  const have = (db.prepare('SELECT * FROM custody_imported WHERE origin_station = ? AND bundle_id = ? ORDER BY position').all(origin, manifest.bundleId) as ImportedRow[]).map(importedEvent);
  for (let i = 0; i < Math.min(have.length, media.events.length); i++) {
    const a = have[i]!;
    const b = media.events[i]!;
    if (a.eventId !== b.eventId || a.hash !== b.hash) {
      throw new CustodyImportError(
        `Mismatch: the station's copy of ${origin}'s log has event #${a.seq} (${a.eventId}, hash ${a.hash.slice(0, 16)}…) where the media copy has #${b.seq} (${b.eventId}, hash ${b.hash.slice(0, 16)}…).`,
        'One of the two copies was altered or comes from another chain; nothing was imported.',
      );
    }
  }
  if (media.events.length < have.length) {
    const missing = have.slice(media.events.length);
    throw new CustodyImportError(
      `Gap: the media copy ends at event #${media.events.at(-1)?.seq ?? 0} but this station already holds ${missing.length} later event(s) of ${origin}'s log (#${missing[0]!.seq}…#${missing.at(-1)!.seq}).`,
      'The media carries an older custody log than the one imported before; nothing was imported.',
    );
  }
  const fresh = media.events.slice(have.length);
  const trust = new TrustStore(db);
  const signerKey = media.head.signer ? media.keys.get(media.head.signer) : undefined;
  const headSigner = media.head.signer && signerKey ? { name: signerKey.name, fingerprint: media.head.signer, pinned: !!trust.get(media.head.signer) && !trust.get(media.head.signer)!.revokedAt } : undefined;
  const now = isoWithOffset();
  const insert = db.prepare(
    `INSERT INTO custody_imported (origin_station, seq, event_id, bundle_id, type, actor, role, station, location, at, details, prev_hash, hash, signer, signature, position, imported_at)
     VALUES (@origin, @seq, @eventId, @bundleId, @type, @actor, @role, @station, @location, @at, @details, @prevHash, @hash, @signer, @signature, @position, @now)`,
  );
  const addKey = db.prepare('INSERT OR IGNORE INTO custody_keys (fingerprint, name, role, public_key, source) VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const [fp, k] of media.keys) addKey.run(fp, k.name, k.role, k.publicKey, `imported:${origin}`);
    fresh.forEach((e, i) =>
      insert.run({ location: null, signer: null, signature: null, ...e, details: JSON.stringify(e.details), origin, position: have.length + i, now }),
    );
  })();
  const local = custody.append({
    type: 'custody-imported',
    role,
    bundleId: manifest.bundleId,
    details: {
      origin,
      ...(media.head.location ? { originLocation: media.head.location } : {}),
      events: media.events.length,
      added: fresh.length,
      continuesFrom: media.head.headHash,
      headSigned: !!media.head.signature,
      ...(headSigner ? { headSigner: headSigner.name, headSignerFingerprint: headSigner.fingerprint, headSignerPinned: headSigner.pinned } : {}),
    },
  });
  return {
    bundleId: manifest.bundleId,
    origin: { station: origin, ...(media.head.location ? { location: media.head.location } : {}) },
    events: media.events.length,
    added: fresh.length,
    alreadyHad: have.length,
    headHash: media.head.headHash,
    headSigned: !!media.head.signature,
    ...(headSigner ? { headSigner } : {}),
    interleaved: media.interleaved,
    localSeq: local.seq,
  };
}

export type ImportedVerdict = { ok: true; count: number } | { ok: false; origin: string; seq: number; eventId: string; reason: string };

/** Re-checks every imported event in the station database: hashes, order, links and signatures. */
export function verifyImported(db: Db): ImportedVerdict {
  const keyQ = db.prepare('SELECT public_key FROM custody_keys WHERE fingerprint = ?');
  const keys = (fp: string): string | undefined => (keyQ.get(fp) as { public_key: string } | undefined)?.public_key;
  let prev: ImportedRow | undefined;
  let count = 0;
  const tails = new Map<string, { n: number; hash: string; e: CustodyEvent }>();
  for (const r of db.prepare('SELECT * FROM custody_imported ORDER BY origin_station, bundle_id, position').iterate() as Iterable<ImportedRow>) {
    const e = importedEvent(r);
    const fail = (reason: string): ImportedVerdict => ({ ok: false, origin: r.origin_station, seq: e.seq, eventId: e.eventId, reason });
    const same = prev && prev.origin_station === r.origin_station && prev.bundle_id === r.bundle_id;
    if (r.position !== (same ? prev!.position + 1 : 0)) return fail(same ? 'an imported event before it is missing or they were reordered' : 'the first imported events are missing');
    if (same && r.seq <= prev!.seq) return fail('reordered: its seq is not after the event before it');
    if (same && r.seq === prev!.seq + 1 && r.prev_hash !== prev!.hash) return fail('does not link to the event before it');
    if (eventHash(e) !== e.hash) return fail('modified: event content does not match its hash');
    const bad = signatureProblem(e, keys);
    if (bad) return fail(`forged: event ${bad}`);
    prev = r;
    count++;
    tails.set(`${r.origin_station}\0${r.bundle_id}`, { n: r.position + 1, hash: r.hash, e });
  }
  // The local chain records each import's head: the imported rows must still end there.
  const anchors = new Map<string, { events: number; continuesFrom: string | null; seq: number }>();
  for (const r of db.prepare("SELECT seq, bundle_id, details FROM custody_events WHERE type = 'custody-imported' ORDER BY seq").iterate() as Iterable<{ seq: number; bundle_id: string; details: string }>) {
    const d = JSON.parse(r.details) as { origin?: string; events?: number; continuesFrom?: string | null };
    if (typeof d.origin === 'string') anchors.set(`${d.origin}\0${r.bundle_id}`, { events: d.events ?? 0, continuesFrom: d.continuesFrom ?? null, seq: r.seq });
  }
  for (const [key, a] of anchors) {
    const t = tails.get(key);
    const [origin] = key.split('\0');
    if ((t?.n ?? 0) !== a.events || (t?.hash ?? null) !== a.continuesFrom) {
      return { ok: false, origin: origin!, seq: t?.e.seq ?? 0, eventId: t?.e.eventId ?? '-', reason: `imported events were deleted or added: local event #${a.seq} recorded ${a.events} ending at ${String(a.continuesFrom).slice(0, 16)}…, the table holds ${t?.n ?? 0}` };
    }
  }
  return { ok: true, count };
}
