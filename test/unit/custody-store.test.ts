import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CustodyStore, GENESIS_HASH } from '../../src/main/custody/custody-store';
import { openDatabase, type Db } from '../../src/main/db/database';
import { IdentityStore } from '../../src/main/identity/identity-store';
import { tempDir } from '../harness/temp';
import { FAST_KDF, PASS } from './custody-fixtures';

const identity = { actor: 'alice', station: 'lowside-1' };
let cleanup: (() => void) | undefined;
let db: Db | undefined;

function fresh(): { store: CustodyStore; file: string } {
  const t = tempDir();
  cleanup = t.cleanup;
  const file = join(t.path, 'ferry.db');
  db = openDatabase(file);
  return { store: new CustodyStore(db, identity), file };
}

afterEach(() => {
  db?.close();
  cleanup?.();
});

describe('CustodyStore', () => {
  it('chains each event to the previous one and carries who, where and when with an offset', () => {
    const { store } = fresh();
    const a = store.append({ type: 'resolved', role: 'operator', bundleId: 'b1', details: { images: 1 } });
    const b = store.append({ type: 'created', role: 'operator', bundleId: 'b1' });
    expect(a.prevHash).toBe(GENESIS_HASH);
    expect(b.prevHash).toBe(a.hash);
    expect(b.seq).toBe(a.seq + 1);
    expect(a.actor).toBe('alice');
    expect(a.station).toBe('lowside-1');
    expect(a.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
    expect(store.list({ bundleId: 'b1' }).map((e) => e.type)).toEqual(['created', 'resolved']);
    expect(store.verifyChain()).toEqual({ ok: true, count: 2 });
  });

  it('a view signed by a caller records that caller, signed, on the same chain, and leaves the store itself alone', () => {
    const { store } = fresh();
    const rita = new IdentityStore(db!, FAST_KDF).create('rita', 'reviewer', PASS);
    const acting = new IdentityStore(db!, FAST_KDF).unlock('rita', PASS);
    const seen: string[] = [];
    store.on('appended', (e) => seen.push(`${e.type}:${e.actor}`));
    const view = store.signedBy({ actor: acting.name, signer: acting });
    const a = view.append({ type: 'acquired', role: 'reviewer', bundleId: 'b1' });
    const b = store.append({ type: 'note', role: 'operator', bundleId: 'b1' });
    expect(a).toMatchObject({ actor: 'rita', signer: rita.fingerprint, signature: expect.any(String), station: 'lowside-1' });
    expect(b).toMatchObject({ actor: 'alice', prevHash: a.hash });
    expect(b.signature).toBeUndefined();
    expect(view.acting).toMatchObject({ actor: 'rita', fingerprint: rita.fingerprint, station: 'lowside-1' });
    expect(store.acting.actor).toBe('alice');
    expect(view.bundleEvents('b1').map((e) => e.type)).toEqual(['acquired', 'note']);
    expect(seen).toEqual(['acquired:rita', 'note:alice']);
    expect(store.verifyChain()).toMatchObject({ ok: true, count: 2, signed: 1 });
  });

  it('refuses updates and deletes at the database level', () => {
    const { store } = fresh();
    store.append({ type: 'created', role: 'operator' });
    expect(() => db!.prepare("UPDATE custody_events SET actor = 'mallory'").run()).toThrow(/append-only/);
    expect(() => db!.prepare('DELETE FROM custody_events').run()).toThrow(/append-only/);
  });

  it('names the first event whose content was altered behind its back', () => {
    const { store, file } = fresh();
    store.append({ type: 'resolved', role: 'operator' });
    const second = store.append({ type: 'acquired', role: 'operator', details: { size: 10 } });
    store.append({ type: 'created', role: 'operator' });
    db!.close();
    // An attacker with file access drops the trigger and edits a row.
    const raw = new Database(file);
    raw.exec('DROP TRIGGER custody_events_no_update');
    raw.prepare('UPDATE custody_events SET details = ? WHERE seq = ?').run('{"size":999}', second.seq);
    raw.close();
    db = openDatabase(file);
    const r = new CustodyStore(db, identity).verifyChain();
    expect(r).toMatchObject({ ok: false, seq: second.seq, eventId: second.eventId });
  });

  it('notices a deleted event as a broken link', () => {
    const { store, file } = fresh();
    store.append({ type: 'a', role: 'operator' });
    const gone = store.append({ type: 'b', role: 'operator' });
    store.append({ type: 'c', role: 'operator' });
    db!.close();
    const raw = new Database(file);
    raw.exec('DROP TRIGGER custody_events_no_delete');
    raw.prepare('DELETE FROM custody_events WHERE seq = ?').run(gone.seq);
    raw.close();
    db = openDatabase(file);
    expect(new CustodyStore(db, identity).verifyChain()).toMatchObject({ ok: false, seq: gone.seq + 1 });
  });
});
