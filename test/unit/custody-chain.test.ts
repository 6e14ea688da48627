import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { CustodyEvent } from '../../src/shared/api';
import { eventHash } from '../../src/main/custody/custody-store';
import { PASS, signerOf, station, temp, type Station } from './custody-fixtures';

// Tampering done the way an attacker with the database file would: triggers dropped, rows
// edited, deleted, renumbered or forged with recomputed hashes. `ferry custody verify` uses
// the same verifyChain().

let t: ReturnType<typeof temp>;
let s: Station;
afterEach(() => {
  s?.close();
  t?.cleanup();
});

function chain(n: number, signed: boolean): CustodyEvent[] {
  t = temp();
  s = station(t.path, 'low');
  s.ids.create('olga', 'operator', PASS);
  if (signed) signerOf(s, 'olga');
  return Array.from({ length: n }, (_, i) => s.custody.append({ type: `step${i + 1}`, role: 'operator', bundleId: 'b1', details: { i } }));
}

/** Opens the file raw, without the append-only triggers, runs `fn`, and reopens the station. */
function tamper(fn: (raw: Database.Database) => void): void {
  s.close();
  const raw = new Database(s.file);
  raw.exec('DROP TRIGGER IF EXISTS custody_events_no_update; DROP TRIGGER IF EXISTS custody_events_no_delete;');
  fn(raw);
  raw.close();
  s = station(t.path.replace(/\/$/, ''), 'low');
}

const INSERT = `INSERT INTO custody_events (seq, event_id, bundle_id, type, actor, role, station, at, details, prev_hash, hash, location, signer, signature)
  VALUES (@seq, @eventId, @bundleId, @type, @actor, @role, @station, @at, @details, @prevHash, @hash, @location, @signer, @signature)`;
const row = (e: CustodyEvent) => ({ location: null, signer: null, signature: null, ...e, details: JSON.stringify(e.details) });

describe('signed custody chain', () => {
  it('signs every event of the acting identity and verifies the signatures', () => {
    const ev = chain(3, true);
    expect(ev.every((e) => e.signer && e.signature && e.actor === 'olga')).toBe(true);
    expect(s.custody.verifyChain()).toEqual({ ok: true, count: 3, signed: 3, unsignedTail: 0 });
    expect(s.custody.list({ bundleId: 'b1' })[0]).toMatchObject({ signer: ev[0]!.signer, signature: ev[2]!.signature });
  });

  it('names an edited event', () => {
    const ev = chain(4, true);
    tamper((raw) => raw.prepare('UPDATE custody_events SET actor = ? WHERE seq = 2').run('mallory'));
    expect(s.custody.verifyChain()).toMatchObject({ ok: false, seq: 2, eventId: ev[1]!.eventId, kind: 'modified' });
  });

  it('names an edited and re-hashed event by its broken signature', () => {
    const ev = chain(4, true);
    const forged = { ...ev[1]!, details: { i: 99 } };
    tamper((raw) => raw.prepare('UPDATE custody_events SET details = ?, hash = ? WHERE seq = 2').run('{"i":99}', eventHash(forged)));
    expect(s.custody.verifyChain()).toMatchObject({ ok: false, seq: 2, eventId: ev[1]!.eventId, kind: 'signature' });
  });

  it('names an unsigned event edited and re-hashed by the next event\'s link', () => {
    const ev = chain(4, false);
    const forged = { ...ev[1]!, details: { i: 99 } };
    tamper((raw) => raw.prepare('UPDATE custody_events SET details = ?, hash = ? WHERE seq = 2').run('{"i":99}', eventHash(forged)));
    expect(s.custody.verifyChain()).toMatchObject({ ok: false, seq: 2, eventId: ev[1]!.eventId, kind: 'modified' });
  });

  it('names a deletion, with or without renumbering the later events', () => {
    chain(4, true);
    tamper((raw) => raw.prepare('DELETE FROM custody_events WHERE seq = 2').run());
    expect(s.custody.verifyChain()).toMatchObject({ ok: false, seq: 3, kind: 'deleted', reason: expect.stringMatching(/#2 is missing/) });
    tamper((raw) => raw.prepare('UPDATE custody_events SET seq = seq - 1 WHERE seq > 2').run());
    expect(s.custody.verifyChain()).toMatchObject({ ok: false, seq: 2, kind: 'deleted' });
  });

  it('names a reordering (two events swapped seq values)', () => {
    const ev = chain(4, true);
    tamper((raw) => {
      raw.prepare('UPDATE custody_events SET seq = 100 WHERE seq = 2').run();
      raw.prepare('UPDATE custody_events SET seq = 2 WHERE seq = 3').run();
      raw.prepare('UPDATE custody_events SET seq = 3 WHERE seq = 100').run();
    });
    expect(s.custody.verifyChain()).toMatchObject({ ok: false, seq: 2, eventId: ev[2]!.eventId, kind: 'reordered' });
  });

  it('names an event inserted in the middle with a correctly recomputed hash', () => {
    const ev = chain(4, false);
    const base = { seq: 3, eventId: 'forged-1', bundleId: 'b1', type: 'approved', actor: 'mallory', role: 'reviewer', station: 'low', at: ev[1]!.at, details: {}, prevHash: ev[1]!.hash };
    tamper((raw) => {
      raw.prepare('UPDATE custody_events SET seq = seq + 10 WHERE seq >= 3').run();
      raw.prepare('UPDATE custody_events SET seq = seq - 9 WHERE seq >= 13').run();
      raw.prepare(INSERT).run(row({ ...base, hash: eventHash(base) }));
    });
    expect(s.custody.verifyChain()).toMatchObject({ ok: false, seq: 3, eventId: 'forged-1', kind: 'inserted' });
  });

  it('refuses a forged tail row that claims a signer, whatever its hash', () => {
    const ev = chain(3, true);
    const last = ev[2]!;
    const base = { seq: 4, eventId: 'forged-tail', bundleId: 'b1', type: 'approved', actor: 'olga', role: 'reviewer', station: 'low', at: last.at, details: {}, prevHash: last.hash, signer: last.signer };
    tamper((raw) => raw.prepare(INSERT).run(row({ ...base, hash: eventHash(base), signature: last.signature })));
    expect(s.custody.verifyChain()).toMatchObject({ ok: false, seq: 4, eventId: 'forged-tail', kind: 'signature' });
  });

  it('refuses a row signed by a key the station does not know', () => {
    const ev = chain(2, true);
    tamper((raw) => {
      raw.exec('DELETE FROM identities');
    });
    expect(s.custody.verifyChain()).toMatchObject({ ok: false, seq: 1, eventId: ev[0]!.eventId, kind: 'signature', reason: expect.stringMatching(/unknown key/) });
  });

  it('reports unsigned events after the last signed one: an unsigned tail row is only as good as its author', () => {
    const ev = chain(2, true);
    const base = { seq: 3, eventId: 'unsigned-tail', bundleId: 'b1', type: 'note', actor: 'x', role: 'operator', station: 'low', at: ev[1]!.at, details: {}, prevHash: ev[1]!.hash };
    tamper((raw) => raw.prepare(INSERT).run(row({ ...base, hash: eventHash(base) })));
    expect(s.custody.verifyChain()).toEqual({ ok: true, count: 3, signed: 2, unsignedTail: 1 });
  });
});
