import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch, createHandlers, type Handlers } from '../../src/main/api/handlers';
import { contextOf } from '../../src/main/api/identity-handlers';
import { isoWithOffset } from '../../src/main/core/clock';
import { createServices, type Services } from '../../src/main/core/services';
import { IdentityStore } from '../../src/main/identity/identity-store';
import { formatFingerprint } from '../../src/main/identity/keys';
import { IdentitySession, SessionRegistry } from '../../src/main/identity/session';
import { TrustStore } from '../../src/main/identity/trust-store';
import { verifyApprovals } from '../../src/main/review/verify-approvals';
import { FAST_KDF, makeBundle, PASS, temp } from './custody-fixtures';

// identity:login and review:decide through the API handlers, as the app and `ferry serve` call them:
// each caller (browser session, window) has its own login slot.
let t: ReturnType<typeof temp>;
let s: Services;
let h: Handlers;
let sessions: SessionRegistry;
/** A browser session: it keeps the id the server hands out at login, as the renderer keeps it in sessionStorage. */
const browser = () => {
  let id: string | undefined;
  return (channel: string, arg: unknown) => dispatch(h, channel, arg, contextOf(sessions.slot(id && sessions.has(id) ? id : undefined, (n) => (id = n)), channel));
};
let call: ReturnType<typeof browser>;

beforeEach(() => {
  t = temp();
  s = createServices({ dataDir: join(t.path, 'data'), identity: { actor: 'os-user', station: 'transfer-1' } });
  const ids = new IdentityStore(s.db, FAST_KDF);
  for (const [n, r] of [['olga', 'operator'], ['rita', 'reviewer'], ['ray', 'reviewer']] as const) ids.create(n, r, PASS);
  h = createHandlers(s);
  sessions = new SessionRegistry(s.db);
  call = browser();
});
afterEach(async () => {
  await s.close();
  t.cleanup();
});

describe('acting identity and decisions from the UI', () => {
  it('logs in with the passphrase, refuses a wrong one without echoing it, and logs out', async () => {
    expect(await call('identity:list', {})).toHaveLength(3);
    expect(await call('identity:current', {})).toEqual({ acting: null, lockAfterMinutes: 15 });
    const wrong = await call('identity:login', { name: 'rita', passphrase: 'not the passphrase at all' }).catch((e: Error) => e);
    expect((wrong as Error).message).toMatch(/Wrong passphrase/);
    expect((wrong as Error).message).not.toContain('not the passphrase');
    await expect(call('identity:login', { name: 'rita', passphrase: PASS, extra: 1 })).rejects.toThrow(/identity:login/);
    const info = await call('identity:login', { name: 'rita', passphrase: PASS });
    expect(info).toMatchObject({ acting: { name: 'rita', role: 'reviewer' }, locksAt: expect.any(String) });
    const login = s.custody.head()!;
    expect(login).toMatchObject({ type: 'login', actor: 'rita', signature: expect.any(String) });
    expect(JSON.stringify(s.custody.list())).not.toContain(PASS);
    expect(JSON.stringify(s.jobs.list())).not.toContain(PASS);
    expect(await call('identity:logout', {})).toMatchObject({ acting: null });
    await expect(call('review:decide', { dir: t.path, decision: 'approve', reason: '' })).rejects.toThrow(/Sign in first/);
  });

  it('keeps one login per browser session: two sign in at once, a third is signed out, reads but cannot act', async () => {
    const [ritas, olgas, nobody] = [browser(), browser(), browser()];
    await ritas('identity:login', { name: 'rita', passphrase: PASS });
    await olgas('identity:login', { name: 'olga', passphrase: PASS });
    expect(await ritas('identity:current', {})).toMatchObject({ acting: { name: 'rita' } });
    expect(await olgas('identity:current', {})).toMatchObject({ acting: { name: 'olga' } });
    expect(await nobody('identity:current', {})).toMatchObject({ acting: null });
    expect(await nobody('custody:list', {})).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'login', actor: 'rita' })]));
    expect(await nobody('identity:list', {})).toHaveLength(3);
    for (const [channel, arg] of [
      ['bundle:create', { images: [], models: ['org/m'], outDir: join(t.path, 'never') }],
      ['bundle:verify', { dir: t.path }],
      ['bundle:import', { dir: t.path }],
      ['media:write', { dir: t.path, targets: [t.path] }],
      ['review:decide', { dir: t.path, decision: 'approve', reason: '' }],
      ['trust:revoke', { fingerprint: 'a'.repeat(64), reason: 'x' }],
      ['install:run', { installId: 'x' }],
    ] as const) {
      await expect(nobody(channel, arg), channel).rejects.toThrow(/Sign in first/);
    }
    await expect(s.jobs.list()).toEqual([]);
    // Logging out one session leaves the other signed in.
    await olgas('identity:logout', {});
    expect(await olgas('identity:current', {})).toMatchObject({ acting: null });
    expect(await ritas('identity:current', {})).toMatchObject({ acting: { name: 'rita' } });
    expect(s.custody.head()).toMatchObject({ type: 'logout', actor: 'olga', signature: expect.any(String) });
  });

  it('keeps at most the cap of sessions, dropping the least recently active', () => {
    let now = 1;
    const small = new SessionRegistry(s.db, 2, 15, () => now);
    const ids: string[] = [];
    for (const name of ['rita', 'ray', 'olga']) {
      now += 1000;
      small.slot(undefined, (id) => ids.push(id)).login(name, PASS);
    }
    expect(small.size).toBe(2);
    expect(small.has(ids[0]!)).toBe(false);
    expect(small.slot(ids[2]!).current(false)?.name).toBe('olga');
  });

  it('locks after the inactivity period', () => {
    let now = 0;
    const session = new IdentitySession(s.db, 15, () => now);
    session.login('ray', PASS);
    now += 14 * 60_000;
    session.touch();
    now += 14 * 60_000;
    expect(session.info().acting?.name).toBe('ray');
    now += 2 * 60_000;
    expect(session.info()).toEqual({ acting: null, lockAfterMinutes: 15 });
    expect(() => session.require()).toThrow(/locked after inactivity/);
  });

  it('review:decide: the creator and a blocked bundle are refused; an approval is written, signed and verifies', async () => {
    const ids = new IdentityStore(s.db);
    const own = await makeBundle(join(t.path, 'own'), ids.unlock('rita', PASS));
    const blocked = await makeBundle(join(t.path, 'blocked'), ids.unlock('olga', PASS), { scan: { scannedAt: isoWithOffset(), blocked: true } });
    const good = await makeBundle(join(t.path, 'good'), ids.unlock('olga', PASS));

    await call('identity:login', { name: 'olga', passphrase: PASS });
    await expect(call('review:decide', { dir: good, decision: 'approve', reason: '' })).rejects.toThrow(/olga is an operator; this needs a reviewer or an admin/);
    await call('identity:login', { name: 'rita', passphrase: PASS });
    await expect(call('review:decide', { dir: own, decision: 'approve', reason: '' })).rejects.toThrow(/two-person rule: rita created this bundle and cannot approve it/);
    await expect(call('review:decide', { dir: blocked, decision: 'approve', reason: '' })).rejects.toThrow(/blocked/);
    await expect(call('review:decide', { dir: good, decision: 'reject', reason: ' ' })).rejects.toThrow(/needs a reason/);
    await expect(call('review:decide', { dir: good, decision: 'maybe', reason: '' })).rejects.toThrow(/field decision/);

    expect(await call('bundle:manifest', { dir: good })).toMatchObject({ recipe: 'adhoc' });
    expect(await call('bundle:manifest', { dir: good })).not.toHaveProperty('diff');
    const r = (await call('review:decide', { dir: good, decision: 'approve', reason: 'matches change 1234' })) as { statementFile: string; custodySeq: number; bundleId: string };
    expect(r).toMatchObject({ decision: 'approve', reviewer: 'rita', statementFile: expect.stringMatching(/^approvals\//) });
    expect(existsSync(join(good, r.statementFile))).toBe(true);
    expect(s.custody.head()).toMatchObject({ seq: r.custodySeq, type: 'approved', actor: 'rita', role: 'reviewer', signature: expect.any(String) });

    const trust = new TrustStore(s.db);
    const key = new IdentityStore(s.db).get('rita');
    trust.add({ name: 'rita', role: 'reviewer', publicKey: key.publicKey, fingerprint: key.fingerprint }, formatFingerprint(key.fingerprint), 'adam');
    expect(await verifyApprovals(good, trust.lookup(), { requiredApprovals: 1 })).toMatchObject({ ok: true, approvedBy: [{ name: 'rita' }] });
    // The same bundle rebuilt (another manifest) now shows the diff against the approved one.
    const again = await makeBundle(join(t.path, 'again'), ids.unlock('olga', PASS));
    expect(await call('bundle:manifest', { dir: again })).not.toHaveProperty('diff'); // same bundle id: never compared with itself
    expect(await call('custody:verify', { bundleId: r.bundleId })).toMatchObject({ local: { ok: true }, imported: { ok: true }, bundleEvents: 1 });
  });

  it('trust:add shows the fingerprint first, pins only with it confirmed, and needs an admin once one exists', async () => {
    const keyFile = join(t.path, 'ray.pub');
    writeFileSync(keyFile, JSON.stringify(new IdentityStore(s.db).exportPublic('ray')));
    const shown = (await call('trust:add', { path: keyFile })) as { pinned: boolean; candidate: { display: string } };
    expect(shown).toMatchObject({ pinned: false, candidate: { name: 'ray', role: 'reviewer', display: expect.stringMatching(/^SHA256:/) } });
    expect(await call('trust:list', {})).toEqual([]);
    await expect(call('trust:add', { path: keyFile, confirm: shown.candidate.display })).rejects.toThrow(/Sign in first/);
    await call('identity:login', { name: 'ray', passphrase: PASS });
    await expect(call('trust:add', { path: keyFile, confirm: `SHA256:${'0'.repeat(64)}` })).rejects.toThrow(/does not match/);
    new IdentityStore(s.db, FAST_KDF).create('adam', 'admin', PASS);
    await expect(call('trust:add', { path: keyFile, confirm: shown.candidate.display })).rejects.toThrow(/needs an admin/);
    await call('identity:login', { name: 'adam', passphrase: PASS });
    expect(await call('trust:add', { path: keyFile, confirm: shown.candidate.display })).toMatchObject({ pinned: true, key: { name: 'ray', pinnedBy: 'adam' } });
    expect(s.custody.head()).toMatchObject({ type: 'key-pinned', actor: 'adam', signature: expect.any(String) });
    const revoked = await call('trust:revoke', { fingerprint: shown.candidate.display, reason: 'laptop lost' });
    expect(revoked).toMatchObject({ revokedAt: expect.any(String), revokeReason: 'laptop lost' });
  });

  it('custody:export writes the per-bundle report as HTML or CSV where asked', async () => {
    s.custody.append({ type: 'created', role: 'operator', bundleId: 'b-1', details: {} });
    const csv = (await call('custody:export', { bundleId: 'b-1', format: 'csv', path: join(t.path, 'r.csv') })) as { path: string };
    expect(readFileSync(csv.path, 'utf8')).toMatch(/^source,seq,event_id/);
    const html = (await call('custody:export', { bundleId: 'b-1', format: 'html', path: join(t.path, 'r.html') })) as { path: string; events: number };
    expect(html.events).toBe(1);
    expect(readFileSync(html.path, 'utf8')).toContain('b-1');
    await expect(call('custody:export', { bundleId: 'none', format: 'csv', path: join(t.path, 'x.csv') })).rejects.toThrow(/no custody events/);
  });
});
