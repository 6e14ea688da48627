import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_KDF, open, seal } from '../../src/main/identity/envelope';
import { fingerprintOf, formatFingerprint, parseFingerprint, publicKeyPem, SIG, verifyWith } from '../../src/main/identity/keys';
import { approvalPolicy, setSetting, withStation } from '../../src/main/identity/station';
import { parseKeyFile } from '../../src/main/identity/trust-store';
import { PASS, station, temp, type Station } from './custody-fixtures';

let t: ReturnType<typeof temp>;
let s: Station | undefined;
afterEach(() => {
  s?.close();
  s = undefined;
  t?.cleanup();
});

describe('private key envelope', () => {
  it('uses scrypt N=2^17 r=8 by default, random salt and nonce, and AES-256-GCM', () => {
    const a = seal(Buffer.from('secret key bytes'), PASS, 'aad');
    const b = seal(Buffer.from('secret key bytes'), PASS, 'aad');
    expect(a.kdf).toMatchObject({ name: 'scrypt', N: 131072, r: 8, p: 1 });
    expect(DEFAULT_KDF.N).toBe(2 ** 17);
    expect(a.cipher.name).toBe('aes-256-gcm');
    expect(a.kdf.salt).not.toBe(b.kdf.salt);
    expect(a.cipher.nonce).not.toBe(b.cipher.nonce);
    expect(open(a, PASS, 'aad').toString()).toBe('secret key bytes');
  });

  it('refuses a wrong passphrase, other associated data, a flipped ciphertext bit and a short passphrase', () => {
    const kdf = { N: 2 ** 14, r: 8, p: 1 };
    const e = seal(Buffer.from('k'.repeat(48)), PASS, 'alice', kdf);
    expect(() => open(e, 'wrong passphrase!', 'alice')).toThrow(/Wrong passphrase/);
    expect(() => open(e, PASS, 'mallory')).toThrow(/Wrong passphrase/);
    const ct = Buffer.from(e.ciphertext, 'base64');
    ct[0]! ^= 1;
    expect(() => open({ ...e, ciphertext: ct.toString('base64') }, PASS, 'alice')).toThrow(/Wrong passphrase/);
    expect(() => open({ ...e, kdf: { ...e.kdf, N: 1024 } }, PASS, 'alice')).toThrow(/damaged or in an unknown format/);
    expect(() => seal(Buffer.from('x'), 'short', 'a', kdf)).toThrow(/too short/);
  });
});

describe('IdentityStore', () => {
  it('creates identities with roles, never stores the private key in clear, and unlocks to sign', () => {
    t = temp();
    s = station(t.path, 'low');
    const alice = s.ids.create('alice', 'reviewer', PASS);
    expect(alice.fingerprint).toBe(fingerprintOf(alice.publicKey));
    expect(s.ids.list().map((i) => [i.name, i.role])).toEqual([['alice', 'reviewer']]);
    expect(() => s!.ids.create('alice', 'admin', PASS)).toThrow(/already exists/);
    expect(() => s!.ids.create('bob', 'king', PASS)).toThrow(/Unknown role/);
    expect(() => s!.ids.create('../x', 'admin', PASS)).toThrow(/not a valid identity name/);

    const acting = s.ids.unlock('alice', PASS);
    const sig = acting.sign(SIG.statement, 'hello');
    expect(verifyWith(alice.publicKey, SIG.statement, 'hello', sig)).toBe(true);
    expect(verifyWith(alice.publicKey, SIG.custodyEvent, 'hello', sig)).toBe(false); // domain separation
    expect(() => s!.ids.unlock('alice', 'not the passphrase')).toThrow(/Wrong passphrase/);

    // The database holds only the envelope: no PKCS#8 private key header, no passphrase.
    s.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = readFileSync(s.file);
    expect(bytes.includes(Buffer.from('302e020100300506032b6570', 'hex'))).toBe(false);
    expect(bytes.includes(Buffer.from(PASS))).toBe(false);
  });

  it('an envelope moved onto another identity row does not open', () => {
    t = temp();
    s = station(t.path, 'low');
    s.ids.create('alice', 'reviewer', PASS);
    s.ids.create('bob', 'reviewer', PASS);
    s.close();
    const raw = new Database(s.file);
    raw.prepare("UPDATE identities SET envelope = (SELECT envelope FROM identities WHERE name = 'alice') WHERE name = 'bob'").run();
    raw.close();
    s = station(t.path, 'low');
    expect(() => s!.ids.unlock('bob', PASS)).toThrow(/Wrong passphrase/);
  });

  it('exports a public key file that trust add reads back; fingerprints show grouped and parse in any form', () => {
    t = temp();
    s = station(t.path, 'low');
    const a = s.ids.create('alice', 'reviewer', PASS);
    const file = s.ids.exportPublic('alice');
    expect(file.fingerprint).toMatch(/^SHA256:([a-f0-9]{4} ){15}[a-f0-9]{4}$/);
    expect(parseFingerprint(file.fingerprint)).toBe(a.fingerprint);
    expect(parseFingerprint(a.fingerprint.toUpperCase())).toBe(a.fingerprint);
    expect(parseFingerprint('SHA256:abcd')).toBeUndefined();
    expect(parseKeyFile(JSON.stringify(file))).toMatchObject({ name: 'alice', role: 'reviewer', fingerprint: a.fingerprint });
    expect(parseKeyFile(publicKeyPem(a.publicKey), { name: 'alice' }).fingerprint).toBe(a.fingerprint);
    expect(formatFingerprint(a.fingerprint).replace(/ /g, '')).toBe(`SHA256:${a.fingerprint}`);
  });
});

describe('station settings and policy', () => {
  it('names the station from its settings and requires approvals once any key is pinned (an explicit setting wins)', () => {
    t = temp();
    s = station(t.path, 'low');
    expect(withStation(s.db, { actor: 'x', station: 'host' }, {})).toEqual({ actor: 'x', station: 'host' });
    setSetting(s.db, 'station.name', 'Transfer-1');
    setSetting(s.db, 'station.location', 'Bldg 4, room 12');
    expect(withStation(s.db, { actor: 'x', station: 'host' }, {})).toEqual({ actor: 'x', station: 'Transfer-1', location: 'Bldg 4, room 12' });
    expect(withStation(s.db, { actor: 'x', station: 'host' }, { FERRY_STATION: 'env' }).station).toBe('env');

    expect(approvalPolicy(s.db)).toEqual({ requireApprovals: false, requiredApprovals: 1, source: 'default' });
    const key = parseKeyFile(JSON.stringify(s.ids.exportPublic(s.ids.create('rev', 'reviewer', PASS).name)));
    expect(() => s!.trust.add(key, undefined, 'admin')).toThrow(/fingerprint/);
    expect(() => s!.trust.add(key, 'SHA256:' + '0'.repeat(64), 'admin')).toThrow(/does not match/);
    s.trust.add(key, formatFingerprint(key.fingerprint), 'admin');
    expect(approvalPolicy(s.db).requireApprovals).toBe(true);
    s.trust.revoke(key.fingerprint.slice(0, 12), 'left');
    expect(approvalPolicy(s.db).requireApprovals).toBe(true); // revoking does not switch the gate off
    expect(() => s!.db.prepare('DELETE FROM trusted_keys').run()).toThrow(/revoked, never deleted/);
    setSetting(s.db, 'policy.requireApprovals', 'false');
    setSetting(s.db, 'policy.requiredApprovals', '2');
    expect(approvalPolicy(s.db)).toEqual({ requireApprovals: false, requiredApprovals: 2, source: 'setting' });
  });
});
