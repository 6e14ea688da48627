import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REQUEST_SCHEMAS } from '../../src/main/api/request-schemas';
import { settingsHandlers } from '../../src/main/api/settings-handlers';
import { CredentialStore, normalizeRegistry } from '../../src/main/credentials/credential-store';
import { openSecret, sealSecret } from '../../src/main/credentials/secret-box';
import { KEY_FILE } from '../../src/main/credentials/station-key';
import { openDatabase, type Db } from '../../src/main/db/database';
import { effectiveMirrors, saveMirrors, stationSettings } from '../../src/main/settings/station-settings';
import { tempDir } from '../harness/temp';

const SECRET = 'hunter2-very-secret-token';
const cleanups: (() => void)[] = [];
const dbs: Db[] = [];

function fresh(): { dir: string; db: Db; store: CredentialStore } {
  const t = tempDir('ferry-creds-');
  cleanups.push(t.cleanup);
  const db = openDatabase(join(t.path, 'ferry.db'));
  dbs.push(db);
  return { dir: t.path, db, store: new CredentialStore(db, t.path) };
}

afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const c of cleanups.splice(0)) c();
});

describe('secret box (AES-256-GCM, AAD = registry + user name)', () => {
  const key = Buffer.alloc(32, 7);
  it('opens what it sealed, and nothing under another key, registry or user name', () => {
    const sealed = sealSecret(key, 'reg.example:5000', 'ci', SECRET);
    expect(openSecret(key, 'reg.example:5000', 'ci', sealed)).toBe(SECRET);
    expect(openSecret(Buffer.alloc(32, 8), 'reg.example:5000', 'ci', sealed)).toBeUndefined();
    expect(openSecret(key, 'other.example:5000', 'ci', sealed)).toBeUndefined();
    expect(openSecret(key, 'reg.example:5000', 'admin', sealed)).toBeUndefined();
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1]! ^= 1;
    expect(openSecret(key, 'reg.example:5000', 'ci', flipped)).toBeUndefined();
  });
  it('uses a fresh IV each time', () => {
    expect(sealSecret(key, 'r', 'u', SECRET).equals(sealSecret(key, 'r', 'u', SECRET))).toBe(false);
  });
});

describe('CredentialStore', () => {
  it('round-trips a login by normalised host and lists it without the secret', () => {
    const { store } = fresh();
    const saved = store.set('https://Registry.Internal:5000/v2/', 'ci', SECRET);
    expect(saved.registry).toBe('registry.internal:5000');
    expect(store.get('registry.internal:5000')).toEqual({ username: 'ci', password: SECRET });
    expect(store.get('registry.internal:5001')).toBeUndefined();
    expect(JSON.stringify(store.list())).not.toContain(SECRET);
    expect(store.list()).toEqual([{ registry: 'registry.internal:5000', username: 'ci', updatedAt: saved.updatedAt }]);
    store.set('registry.internal:5000', 'ci2', 'second');
    expect(store.get('registry.internal:5000')).toEqual({ username: 'ci2', password: 'second' });
    expect(store.remove('registry.internal:5000')).toBe(true);
    expect(store.remove('registry.internal:5000')).toBe(false);
    expect(store.get('registry.internal:5000')).toBeUndefined();
  });

  it('maps Docker Hub aliases to docker.io and refuses what is not a host', () => {
    expect(normalizeRegistry('index.docker.io')).toBe('docker.io');
    expect(normalizeRegistry('registry-1.docker.io')).toBe('docker.io');
    expect(() => normalizeRegistry('not a host')).toThrow(/not HOST\[:PORT\]/);
  });

  it('creates the station key 0600 with 32 bytes, and never stores the secret in clear', () => {
    const { dir, db, store } = fresh();
    store.set('reg.example', 'ci', SECRET);
    const keyFile = join(dir, KEY_FILE);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile).length).toBe(32);
    const row = db.prepare('SELECT secret FROM credentials').get() as { secret: Buffer };
    expect(row.secret.includes(Buffer.from(SECRET))).toBe(false);
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(join(dir, 'ferry.db')).includes(Buffer.from(SECRET))).toBe(false);
    expect(readFileSync(join(dir, 'ferry.db')).includes(Buffer.from(SECRET, 'utf16le'))).toBe(false);
  });

  it('fails clearly with another key file, a missing key, or a row moved to another registry', () => {
    const { dir, db, store } = fresh();
    store.set('reg.example', 'ci', SECRET);
    const keyFile = join(dir, KEY_FILE);
    const original = readFileSync(keyFile);
    writeFileSync(keyFile, Buffer.alloc(32, 1));
    expect(() => store.get('reg.example')).toThrow(/cannot be decrypted with .*credentials\.key/);
    writeFileSync(keyFile, original);
    expect(store.get('reg.example')?.password).toBe(SECRET);
    // A sealed secret copied to another registry's row does not open (AAD binds the registry).
    db.prepare("INSERT INTO credentials (registry, username, secret, created_at, updated_at) SELECT 'evil.example', username, secret, created_at, updated_at FROM credentials").run();
    expect(() => store.get('evil.example')).toThrow(/evil\.example cannot be decrypted/);
    chmodSync(keyFile, 0o644);
    expect(() => store.get('reg.example')).toThrow(/readable by other users/);
  });

  it('refuses a key file of the wrong size', () => {
    const { dir, store } = fresh();
    store.set('reg.example', 'ci', SECRET);
    writeFileSync(join(dir, KEY_FILE), Buffer.alloc(16), { mode: 0o600 });
    expect(() => store.get('reg.example')).toThrow(/16 bytes, not a 32-byte key/);
  });
});

describe('settings and credentials over the API', () => {
  it('sets, lists and removes credentials without ever returning the secret', async () => {
    const { dir, db } = fresh();
    const h = settingsHandlers({ db, dataDir: dir });
    const set = await h['credentials:set']({ registry: 'reg.example:5000', username: 'ci', password: SECRET });
    const list = await h['credentials:list']({});
    expect(JSON.stringify([set, list])).not.toContain(SECRET);
    expect(list).toEqual([{ registry: 'reg.example:5000', username: 'ci', updatedAt: set.updatedAt }]);
    const bad = REQUEST_SCHEMAS['credentials:set'].safeParse({ registry: 'reg.example', username: 'ci', password: '' });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(REQUEST_SCHEMAS['credentials:set'].safeParse({ registry: 'r', username: 'u', password: 'x'.repeat(5000) }).error?.issues)).not.toContain('xxxx');
    expect(await h['credentials:remove']({ registry: 'reg.example:5000' })).toEqual({ removed: true });
    expect(await h['credentials:list']({})).toEqual([]);
  });

  it('saves mirrors, validates them, and lets a request override them; shows proxy variables without their password', async () => {
    const { db } = fresh();
    expect(saveMirrors(db, [' registry.gitlab.com=127.0.0.1:5101 ', 'docker.io=harbor.internal/hub'])).toEqual(['registry.gitlab.com=127.0.0.1:5101', 'docker.io=harbor.internal/hub']);
    expect(() => saveMirrors(db, ['nonsense'])).toThrow(/expected SOURCE=HOST/);
    expect(() => saveMirrors(db, ['docker.io=a.example', 'index.docker.io=b.example'])).toThrow(/more than one mirror/);
    expect(effectiveMirrors(db, undefined)).toEqual(['registry.gitlab.com=127.0.0.1:5101', 'docker.io=harbor.internal/hub']);
    expect(effectiveMirrors(db, [])).toEqual(['registry.gitlab.com=127.0.0.1:5101', 'docker.io=harbor.internal/hub']);
    expect(effectiveMirrors(db, ['docker.io=127.0.0.1:1'])).toEqual(['docker.io=127.0.0.1:1']);
    const s = stationSettings(db, { HTTPS_PROXY: 'http://user:pw@proxy.internal:3128', NO_PROXY: '127.0.0.1,.internal' });
    expect(s.proxy).toEqual([
      { name: 'HTTPS_PROXY', value: 'http://***@proxy.internal:3128' },
      { name: 'NO_PROXY', value: '127.0.0.1,.internal' },
    ]);
    saveMirrors(db, []);
    expect(stationSettings(db, {}).mirrors).toEqual([]);
  });
});
