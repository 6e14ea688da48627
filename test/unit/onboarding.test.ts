import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ANONYMOUS } from '../../src/main/api/call-context';
import { ONBOARDING_SCHEMAS, onboardingHandlers } from '../../src/main/api/onboarding-handlers';
import { createServices } from '../../src/main/core/services';
import { IdentityStore } from '../../src/main/identity/identity-store';
import { MIN_PASSPHRASE_LENGTH, passphraseStrength } from '../../src/shared/passphrase-strength';
import type { CustodyEvent } from '../../src/shared/api';
import { MIN_PASSPHRASE } from '../../src/main/identity/envelope';
import { formatFingerprint } from '../../src/main/identity/keys';
import { onboardingStatus, refreshStation, setupStation } from '../../src/main/identity/onboarding';
import { approvalPolicy, stationInfo } from '../../src/main/identity/station';
import { configureStation, createIdentity, publicKeyFileText, setApprovalPolicy } from '../../src/main/identity/station-admin';
import { parseKeyFile } from '../../src/main/identity/trust-store';
import { PASS, station, temp, type Station } from './custody-fixtures';

let t: ReturnType<typeof temp>;
let s: Station | undefined;
const NO_ENV = {} as NodeJS.ProcessEnv;
afterEach(() => {
  s?.close();
  s = undefined;
  t?.cleanup();
});
function fresh(): Station {
  t = temp();
  s = station(t.path, 'low');
  return s;
}
const deps = (st: Station) => ({ db: st.db, custody: st.custody, ids: st.ids });
const lastOf = (st: Station, type: string): CustodyEvent => st.custody.list({ limit: 10_000 }).filter((e) => e.type === type).sort((a, b) => b.seq - a.seq)[0]!;

describe('passphrase strength (the one function the forms and the service share)', () => {
  it('uses the same minimum as the key envelope', () => {
    expect(MIN_PASSPHRASE_LENGTH).toBe(MIN_PASSPHRASE);
  });

  it('refuses short, common, run-along and repeated passphrases and says why', () => {
    expect(passphraseStrength('short1!')).toMatchObject({ level: 'too-short', acceptable: false });
    expect(passphraseStrength('short1!').summary).toMatch(/at least 10/);
    for (const weak of ['Password123!', 'password2026', 'qwertyuiop', '1234567890123', 'abcabcabcabc', 'zzzzzzzzzzzz', 'Letmein!!!!!']) {
      expect(passphraseStrength(weak), weak).toMatchObject({ level: 'weak', acceptable: false });
    }
    expect(passphraseStrength('ritaritarita', ['rita'])).toMatchObject({ acceptable: false });
    expect(passphraseStrength('mallory-the-admin', ['mallory-the-admin'])).toMatchObject({ acceptable: false });
  });

  it('rates length and kinds of characters, and marks a name inside the passphrase', () => {
    expect(passphraseStrength(PASS)).toMatchObject({ level: 'strong', acceptable: true, length: 28, classes: 2, advice: [] });
    expect(passphraseStrength('Tr0ub4dor&3x')).toMatchObject({ level: 'fair', acceptable: true, classes: 4 });
    expect(passphraseStrength('Tr0ub4dor&3x').advice.join(' ')).toMatch(/add another word/);
    const named = passphraseStrength('rita likes long walks', ['rita']);
    expect(named).toMatchObject({ level: 'fair', acceptable: true });
    expect(named.advice.join(' ')).toMatch(/own name/);
  });
});

describe('first launch', () => {
  it('needs setup on a brand-new station, not once it is named by FERRY_STATION or set up', () => {
    const st = fresh();
    expect(onboardingStatus(deps(st), NO_ENV)).toMatchObject({ needsSetup: true, canCreateFirstAdmin: true, identities: 0, hasAdmin: false, policy: { mode: 'auto', requiredApprovals: 1 } });
    expect(onboardingStatus(deps(st), { FERRY_STATION: 'ci-station' })).toMatchObject({ needsSetup: false, station: { effective: 'ci-station', fromEnvironment: true } });
  });

  it('names the station and creates a first admin that signs its own events', () => {
    const st = fresh();
    const admin = setupStation(deps(st), undefined, { stationName: ' transfer-1 ', location: 'Bldg 4 room 12', name: 'ada', passphrase: PASS });
    expect(admin).toMatchObject({ name: 'ada', role: 'admin' });
    expect(stationInfo(st.db)).toEqual({ name: 'transfer-1', location: 'Bldg 4 room 12' });
    for (const type of ['identity-created', 'station-configured']) {
      const e = lastOf(st, type);
      expect(e, type).toMatchObject({ actor: 'ada', role: 'admin', signer: admin.fingerprint });
      expect(e.signature).toBeTruthy();
    }
    expect(lastOf(st, 'identity-created').details).toEqual({ name: 'ada', role: 'admin', fingerprint: admin.fingerprint });
    expect(st.custody.verifyChain()).toMatchObject({ ok: true });
    expect(onboardingStatus(deps(st), NO_ENV)).toMatchObject({ needsSetup: false, canCreateFirstAdmin: false, hasAdmin: true, identities: 1, station: { name: 'transfer-1' } });
    // Once there is an admin, setup is closed: further identities come from an admin in Settings.
    expect(() => setupStation(deps(st), undefined, { stationName: 'x', name: 'eve', passphrase: PASS })).toThrow(/already set up/);
  });

  it('leaves nothing behind when the passphrase is refused or the station has no name', () => {
    const st = fresh();
    expect(() => setupStation(deps(st), undefined, { stationName: 'transfer-1', name: 'ada', passphrase: 'password1234' })).toThrow(/not accepted/);
    expect(() => setupStation(deps(st), undefined, { stationName: '   ', name: 'ada', passphrase: PASS })).toThrow(/needs a name/);
    expect(st.ids.list()).toEqual([]);
    expect(stationInfo(st.db)).toEqual({ name: undefined, location: undefined });
    expect(st.custody.list()).toEqual([]);
  });

  it('on a station with identities but no admin, needs one of them signed in, who signs', () => {
    const st = fresh();
    createIdentity(deps(st), undefined, { name: 'olga', role: 'operator', passphrase: PASS });
    expect(() => setupStation(deps(st), undefined, { stationName: 'low', name: 'ada', passphrase: PASS })).toThrow(/olga.*but no admin/);
    const olga = st.ids.unlock('olga', PASS);
    setupStation(deps(st), olga, { stationName: 'low', name: 'ada', passphrase: PASS });
    expect(lastOf(st, 'identity-created')).toMatchObject({ actor: 'olga', signer: olga.fingerprint, details: { name: 'ada', role: 'admin' } });
  });
});

describe('station administration (the CLI and Settings call these)', () => {
  function withAdmin() {
    const st = fresh();
    setupStation(deps(st), undefined, { stationName: 'low', name: 'ada', passphrase: PASS });
    return { st, ada: st.ids.unlock('ada', PASS) };
  }

  it('creates an identity, signed by the admin; refuses weak passphrases and taken names', () => {
    const { st, ada } = withAdmin();
    const { identity } = createIdentity(deps(st), ada, { name: 'rita', role: 'reviewer', passphrase: 'rita has her own words' });
    expect(st.ids.unlock('rita', 'rita has her own words').fingerprint).toBe(identity.fingerprint);
    expect(lastOf(st, 'identity-created')).toMatchObject({ actor: 'ada', signer: ada.fingerprint, details: { name: 'rita', role: 'reviewer', fingerprint: identity.fingerprint } });
    expect(() => createIdentity(deps(st), ada, { name: 'ravi', role: 'reviewer', passphrase: 'qwerty12345' })).toThrow(/not accepted/);
    expect(st.ids.find('ravi')).toBeUndefined();
    expect(() => createIdentity(deps(st), ada, { name: 'rita', role: 'reviewer', passphrase: PASS })).toThrow(/already exists/);
    expect(() => createIdentity(deps(st), ada, { name: 'bob', role: 'janitor', passphrase: PASS })).toThrow(/Unknown role/);
  });

  it('sets the approval policy (1 or 2, on/off/auto) and records it signed', () => {
    const { st, ada } = withAdmin();
    expect(setApprovalPolicy(deps(st), ada, { requiredApprovals: 2 })).toMatchObject({ requiredApprovals: 2, source: 'default' });
    expect(approvalPolicy(st.db).requiredApprovals).toBe(2);
    expect(lastOf(st, 'policy-changed')).toMatchObject({ actor: 'ada', signer: ada.fingerprint, details: { requiredApprovals: 2 } });
    expect(setApprovalPolicy(deps(st), ada, { requireApprovals: 'off' })).toMatchObject({ requireApprovals: false, source: 'setting' });
    expect(setApprovalPolicy(deps(st), ada, { requireApprovals: 'auto' })).toMatchObject({ source: 'default' });
    expect(() => setApprovalPolicy(deps(st), ada, { requiredApprovals: 3 })).toThrow(/1 or 2/);
    expect(() => setApprovalPolicy(deps(st), ada, { requireApprovals: 'maybe' })).toThrow(/on, off or auto/);
    expect(() => setApprovalPolicy(deps(st), ada, {})).toThrow(/Nothing to change/);
    expect(approvalPolicy(st.db).requiredApprovals).toBe(2);
  });

  it('renames the station; later custody records of the running process carry the new name', () => {
    const { st, ada } = withAdmin();
    const services = { db: st.db, custody: st.custody, identity: { actor: 'root', station: 'host-1' } };
    configureStation(deps(st), ada, { name: 'transfer-2', location: 'Enclave B' });
    refreshStation(services, NO_ENV);
    expect(services.identity).toMatchObject({ station: 'transfer-2', location: 'Enclave B' });
    const e = st.custody.append({ type: 'note', role: 'admin' });
    expect(e).toMatchObject({ station: 'transfer-2', location: 'Enclave B' });
    expect(() => configureStation(deps(st), ada, { name: 'two\nlines' })).toThrow(/control characters/);
  });

  it('writes the public key file the CLI writes, which trust add reads back to the same fingerprint', () => {
    const { st } = withAdmin();
    const file = st.ids.exportPublic('ada');
    const text = publicKeyFileText(file);
    expect(text.endsWith('}\n')).toBe(true);
    const key = parseKeyFile(text);
    expect(key).toMatchObject({ name: 'ada', role: 'admin', fingerprint: st.ids.get('ada').fingerprint });
    expect(file.fingerprint).toBe(formatFingerprint(key.fingerprint));
    expect(file.fingerprint).toMatch(/^SHA256:([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
  });
});

describe('the app channels (onboarding-handlers): who may do what', () => {
  it('sets up once without a sign-in, then needs a signed-in admin who signs; exporting a key is reading', { timeout: 120_000 }, async () => {
    t = temp();
    const services = createServices({ dataDir: join(t.path, 'data'), identity: { actor: 'root', station: 'host-1' } });
    try {
      const h = onboardingHandlers(services);
      expect((await h['onboarding:status']({}, ANONYMOUS)).needsSetup).toBe(true);
      const setup = await h['onboarding:setup']({ stationName: 'transfer-1', location: 'Bldg 4', name: 'ada', passphrase: PASS }, ANONYMOUS);
      expect(setup).toMatchObject({ identity: { name: 'ada', role: 'admin', display: formatFingerprint(setup.identity.fingerprint) }, station: { name: 'transfer-1', location: 'Bldg 4' } });
      // The running process now records under the new station name.
      expect(services.identity.station).toBe(process.env.FERRY_STATION || 'transfer-1');
      await expect(h['onboarding:setup']({ stationName: 'x', name: 'eve', passphrase: PASS }, ANONYMOUS)).rejects.toThrow(/already set up/);

      const req = { name: 'rita', role: 'reviewer' as const, passphrase: 'rita reads every manifest' };
      await expect(h['identity:create'](req, ANONYMOUS)).rejects.toThrow(/Sign in first.*an admin/);
      const ids = new IdentityStore(services.db);
      const ada = ids.unlock('ada', PASS);
      const rita = await h['identity:create'](req, { acting: ada });
      expect(rita).toMatchObject({ name: 'rita', role: 'reviewer' });
      const asRita = { acting: ids.unlock('rita', req.passphrase) };
      await expect(h['policy:set']({ requiredApprovals: 2 }, asRita)).rejects.toThrow(/rita is a reviewer; this needs an admin/);
      await expect(h['station:set']({ name: 'mine' }, asRita)).rejects.toThrow(/needs an admin/);
      expect(await h['policy:set']({ requiredApprovals: 2 }, { acting: ada })).toEqual({ requireApprovals: false, requiredApprovals: 2, mode: 'auto' });
      const e = services.custody.list({ limit: 10_000 }).find((x) => x.type === 'policy-changed')!;
      expect(e).toMatchObject({ actor: 'ada', signer: ada.fingerprint });

      const pub = await h['identity:publickey']({ name: 'rita' }, ANONYMOUS);
      expect(pub).toMatchObject({ name: 'rita', role: 'reviewer', fileName: 'rita.pub', fingerprint: rita.fingerprint, display: rita.display });
      expect(parseKeyFile(pub.text).fingerprint).toBe(rita.fingerprint);

      // The request schemas: only 1 or 2 approvals, only known roles.
      expect(ONBOARDING_SCHEMAS['policy:set'].safeParse({ requiredApprovals: 3 }).success).toBe(false);
      expect(ONBOARDING_SCHEMAS['identity:create'].safeParse({ ...req, role: 'root' }).success).toBe(false);
      expect(ONBOARDING_SCHEMAS['onboarding:setup'].safeParse({ stationName: '', name: 'a', passphrase: PASS }).success).toBe(false);
    } finally {
      await services.close();
    }
  });
});
