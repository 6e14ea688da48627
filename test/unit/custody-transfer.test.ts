import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportCustody } from '../../src/main/custody/custody-export';
import { EVENTS_FILE, HEAD_FILE } from '../../src/main/custody/custody-file';
import { importCustody, importedEvents, verifyImported } from '../../src/main/custody/custody-import';
import { HEAD_ENVELOPE_FILE } from '../../src/main/review/intoto-custody';
import { BUNDLE_ID, makeBundle, PASS, signerOf, station, temp, type Station } from './custody-fixtures';

let t: ReturnType<typeof temp>;
let low: Station;
let high: Station;
let dir: string;
let signer: { fingerprint: string; sign: (c: string, m: Buffer | string) => string };

beforeEach(async () => {
  t = temp();
  low = station(t.path, 'low');
  high = station(t.path, 'high');
  low.ids.create('olga', 'operator', PASS);
  const olga = signerOf(low, 'olga');
  signer = { fingerprint: olga.fingerprint, sign: olga.sign };
  dir = await makeBundle(join(t.path, 'bundle'));
  low.custody.append({ type: 'resolved', role: 'operator', bundleId: BUNDLE_ID, details: { models: [{ repo: 'org/m', revision: 'a'.repeat(40) }] } });
  low.custody.append({ type: 'acquired', role: 'operator', bundleId: 'another-bundle' });
  low.custody.append({ type: 'created', role: 'operator', bundleId: BUNDLE_ID });
});
afterEach(() => {
  low.close();
  high.close();
  t.cleanup();
});

const lines = (): string[] => readFileSync(join(dir, EVENTS_FILE), 'utf8').trimEnd().split('\n');

describe('custody crossing the gap', () => {
  it('exports the bundle\'s events with a signed head, and the offline station continues the chain', async () => {
    const ex = await exportCustody(dir, low.custody, low.db, signer);
    expect(ex).toMatchObject({ count: 2, signed: true });
    expect(lines().map((l) => JSON.parse(l).type)).toEqual(['resolved', 'created']);
    const r = await importCustody(dir, high.db, high.custody);
    expect(r).toMatchObject({ origin: { station: 'low' }, events: 2, added: 2, alreadyHad: 0, headSigned: true, headSigner: { name: 'olga', pinned: false }, interleaved: 1 });
    const local = high.custody.bundleEvents(BUNDLE_ID).at(-1)!;
    expect(local).toMatchObject({ type: 'custody-imported', station: 'high', details: { origin: 'low', continuesFrom: ex.headHash } });
    expect(importedEvents(high.db, BUNDLE_ID).map((e) => e.type)).toEqual(['resolved', 'created']);
    expect(verifyImported(high.db)).toEqual({ ok: true, count: 2 });

    // Later: approved and written on the low side; the longer log extends the station copy.
    low.custody.append({ type: 'written', role: 'operator', bundleId: BUNDLE_ID, details: { serials: ['USB-1'] } });
    await exportCustody(dir, low.custody, low.db, signer);
    expect(await importCustody(dir, high.db, high.custody)).toMatchObject({ events: 3, added: 1, alreadyHad: 2 });
    expect(verifyImported(high.db)).toEqual({ ok: true, count: 3 });
  });

  it('names a modified event, and refuses a reordered, removed or inserted line, or a broken head signature', async () => {
    await exportCustody(dir, low.custody, low.db, signer);
    const original = lines();
    const write = (ls: string[]): void => writeFileSync(join(dir, EVENTS_FILE), `${ls.join('\n')}\n`);
    write([original[0]!.replace('"operator"', '"admin"'), original[1]!]);
    await expect(importCustody(dir, high.db, high.custody)).rejects.toThrow(/event #1 .* was modified/);
    write([original[1]!, original[0]!]);
    await expect(importCustody(dir, high.db, high.custody)).rejects.toThrow(/out of order/);
    write([original[0]!]);
    await expect(importCustody(dir, high.db, high.custody)).rejects.toThrow(/inserted, removed or reordered/);
    write(original);
    const head = JSON.parse(readFileSync(join(dir, HEAD_FILE), 'utf8'));
    writeFileSync(join(dir, HEAD_FILE), JSON.stringify({ ...head, count: 1 }));
    await expect(importCustody(dir, high.db, high.custody)).rejects.toThrow(/head signature does not verify/);
    expect(importedEvents(high.db, BUNDLE_ID)).toEqual([]);
  });

  it('reports a mismatch with the station copy, and a media copy older than it (gap)', async () => {
    await exportCustody(dir, low.custody, low.db, signer);
    const firstExport = { events: readFileSync(join(dir, EVENTS_FILE)), head: readFileSync(join(dir, HEAD_FILE)), envelope: readFileSync(join(dir, HEAD_ENVELOPE_FILE)) };
    low.custody.append({ type: 'approved', role: 'reviewer', bundleId: BUNDLE_ID });
    await exportCustody(dir, low.custody, low.db, signer);
    await importCustody(dir, high.db, high.custody);
    writeFileSync(join(dir, EVENTS_FILE), firstExport.events);
    writeFileSync(join(dir, HEAD_FILE), firstExport.head);
    writeFileSync(join(dir, HEAD_ENVELOPE_FILE), firstExport.envelope);
    await expect(importCustody(dir, high.db, high.custody)).rejects.toThrow(/Gap: the media copy ends at event #3 .* 1 later event/);

    // Another station's log under the same name: same bundle, different events.
    const other = station(t.path, 'other');
    const os = other.ids.create('olga', 'operator', PASS) && signerOf(other, 'olga');
    other.custody.append({ type: 'resolved', role: 'operator', bundleId: BUNDLE_ID });
    other.custody.append({ type: 'created', role: 'operator', bundleId: BUNDLE_ID });
    const fake = { ...other.custody.acting, station: 'low' };
    other.custody.actAs(fake, { fingerprint: os.fingerprint, sign: os.sign });
    await exportCustody(dir, other.custody, other.db, { fingerprint: os.fingerprint, sign: os.sign });
    other.close();
    await expect(importCustody(dir, high.db, high.custody)).rejects.toThrow(/Mismatch: the station's copy of low's log has event #1/);
  });

  it('custody verify catches imported rows edited or deleted in the station database', async () => {
    await exportCustody(dir, low.custody, low.db, signer);
    await importCustody(dir, high.db, high.custody);
    high.close();
    let raw = new Database(high.file);
    raw.exec('DROP TRIGGER custody_imported_no_update; DROP TRIGGER custody_imported_no_delete;');
    raw.prepare("UPDATE custody_imported SET actor = 'mallory' WHERE position = 0").run();
    raw.close();
    high = station(t.path, 'high');
    expect(verifyImported(high.db)).toMatchObject({ ok: false, origin: 'low', seq: 1, reason: expect.stringMatching(/modified/) });
    high.close();
    raw = new Database(high.file);
    raw.prepare("UPDATE custody_imported SET actor = 'olga' WHERE position = 0").run();
    raw.prepare('DELETE FROM custody_imported WHERE position = 1').run();
    raw.close();
    high = station(t.path, 'high');
    expect(verifyImported(high.db)).toMatchObject({ ok: false, reason: expect.stringMatching(/deleted or added/) });
  });
});
