import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/main/bundle/manifest-io';
import type { BundleManifest } from '../../src/main/bundle/manifest-schema';
import { verifyBundle } from '../../src/main/bundle/verify';
import { HashPool } from '../../src/main/hash/hash-pool';
import { isoWithOffset } from '../../src/main/core/clock';
import { formatFingerprint } from '../../src/main/identity/keys';
import { parseKeyFile } from '../../src/main/identity/trust-store';
import { isBlocked } from '../../src/main/review/blocked';
import { reviewBundle } from '../../src/main/review/review';
import { signStatement, statementPath, STATEMENT_FORMAT, writeStatement } from '../../src/main/review/statement';
import { verifyApprovals } from '../../src/main/review/verify-approvals';
import { createdBundle, lowAndHigh, makeBundle, PASS, temp, type Station } from './custody-fixtures';

const pool = new HashPool(2);
afterAll(() => pool.close());
let t: ReturnType<typeof temp>;
let low: Station;
let high: Station;
let dir: string;

beforeEach(async () => {
  t = temp();
  ({ low, high } = lowAndHigh(t.path, [['op', 'operator'], ['rita', 'reviewer'], ['ray', 'reviewer'], ['aud', 'auditor']]));
  dir = await createdBundle(low, join(t.path, 'bundle'), 'op');
});
afterEach(() => {
  low.close();
  high.close();
  t.cleanup();
});

const pin = (name: string): void => {
  const key = parseKeyFile(JSON.stringify(low.ids.exportPublic(name)));
  high.trust.add(key, formatFingerprint(key.fingerprint), 'admin');
};
const review = (name: string, decision: 'approve' | 'reject' = 'approve', reason = 'looks right') =>
  reviewBundle({ dir, decision, reason }, { db: low.db, custody: low.custody, acting: low.ids.unlock(name, PASS) });
const check = (required = 1) => verifyApprovals(dir, high.trust.lookup(), { requiredApprovals: required });

describe('review and offline verification of approvals', () => {
  it('an approval by a pinned reviewer verifies on a second station; the bundle still verifies byte for byte', async () => {
    const r = await review('rita');
    expect(r.statementFile).toMatch(/^approvals\/[a-f0-9]{64}-\d{8}T\d{9}Z\.json$/);
    expect(readdirSync(join(dir, 'custody')).sort()).toEqual(['events.jsonl', 'head.intoto.json', 'head.json']);
    const approved = low.custody.bundleEvents(r.bundleId).at(-1)!;
    expect(approved).toMatchObject({ type: 'approved', actor: 'rita', role: 'reviewer', details: { manifestSha256: r.manifestSha256 } });
    expect(approved.signature).toBeTruthy();
    expect(await check()).toMatchObject({ ok: false, reasons: [expect.stringMatching(/unknown key .*rita/), expect.stringMatching(/needs 1 approval/)] });
    pin('rita');
    expect(await check()).toMatchObject({ ok: true, approvedBy: [{ name: 'rita' }], reasons: [] });
    expect((await verifyBundle(dir, pool, { signal: new AbortController().signal, phase() {}, item() {}, itemState() {}, advance() {} })).problems).toEqual([]);
  });

  it('refuses a statement for a manifest with one flipped byte', async () => {
    await review('rita');
    pin('rita');
    const file = join(dir, 'manifest.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('2026-11-23T06:00', '2026-11-23T07:00'));
    const v = await check();
    expect(v.ok).toBe(false);
    expect(v.reasons[0]).toMatch(/statement for another manifest/);
  });

  it('refuses an edited statement (bad signature) and a revoked reviewer key', async () => {
    const r = await review('rita');
    pin('rita');
    const f = join(dir, r.statementFile);
    writeFileSync(f, readFileSync(f, 'utf8').replace('looks right', 'looks fine'));
    expect((await check()).reasons[0]).toMatch(/bad signature/);
    writeFileSync(f, readFileSync(f, 'utf8').replace('looks fine', 'looks right'));
    expect((await check()).ok).toBe(true);
    high.trust.revoke(r.statementFile.slice(10, 26), 'laptop lost');
    expect((await check()).reasons[0]).toMatch(/revoked key .*laptop lost/);
  });

  it('enforces the two-person rule when reviewing and again when verifying', async () => {
    const own = await makeBundle(join(t.path, 'own'), low.ids.unlock('rita', PASS));
    await expect(reviewBundle({ dir: own, decision: 'approve', reason: '' }, { db: low.db, custody: low.custody, acting: low.ids.unlock('rita', PASS) })).rejects.toThrow(/two-person rule/);
    // A statement forged around the CLI still does not count.
    const acting = low.ids.unlock('rita', PASS);
    const { manifest, sha256 } = await readManifest(own);
    const st = { format: STATEMENT_FORMAT, bundleId: manifest.bundleId, manifestSha256: sha256, decision: 'approve', reason: '', reviewer: { name: 'rita', fingerprint: acting.fingerprint, role: 'reviewer' }, station: 'low', at: isoWithOffset() } as const;
    await writeStatement(own, signStatement(st, acting), statementPath(st));
    pin('rita');
    const v = await verifyApprovals(own, high.trust.lookup(), { requiredApprovals: 1 });
    expect(v).toMatchObject({ ok: false, reasons: [expect.stringMatching(/creator self-approval/), expect.stringMatching(/needs 1/)] });
    // By key, never by name: rita's key under another name is still rita; another key named "rita" is not.
    const byKey = await makeBundle(join(t.path, 'by-key'), { ...acting, name: 'someone' });
    await expect(reviewBundle({ dir: byKey, decision: 'approve', reason: '' }, { db: low.db, custody: low.custody, acting })).rejects.toThrow(/two-person rule: someone created this bundle/);
    const namedLikeRita = await makeBundle(join(t.path, 'named-like-rita'), { ...low.ids.unlock('op', PASS), name: 'rita' });
    await expect(reviewBundle({ dir: namedLikeRita, decision: 'approve', reason: '' }, { db: low.db, custody: low.custody, acting })).resolves.toMatchObject({ decision: 'approve' });
  });

  it('refuses to approve a bundle whose creation no identity signed, saying how to recreate it; its statements never count', async () => {
    const unsigned = await makeBundle(join(t.path, 'unsigned'), { actor: 'root', station: 'low', context: { osUser: 'root', host: 'ws1' } });
    const acting = low.ids.unlock('rita', PASS);
    const refused = await reviewBundle({ dir: unsigned, decision: 'approve', reason: '' }, { db: low.db, custody: low.custody, acting }).catch((e: Error & { hint?: string }) => e);
    expect((refused as Error).message).toMatch(/cannot be approved: created without an identity \(OS user root on ws1\)/);
    expect((refused as { hint?: string }).hint).toMatch(/ferry bundle create --as NAME/);
    // A rejection needs no signed creation.
    await expect(reviewBundle({ dir: unsigned, decision: 'reject', reason: 'unsigned' }, { db: low.db, custody: low.custody, acting })).resolves.toMatchObject({ decision: 'reject' });
    // A forged statement around the CLI does not count either; nor does a creation edited after signing.
    const { manifest, sha256 } = await readManifest(unsigned);
    const st = { format: STATEMENT_FORMAT, bundleId: manifest.bundleId, manifestSha256: sha256, decision: 'approve', reason: '', reviewer: { name: 'rita', fingerprint: acting.fingerprint, role: 'reviewer' }, station: 'low', at: isoWithOffset() } as const;
    await writeStatement(unsigned, signStatement(st, acting), statementPath(st));
    pin('rita');
    expect((await verifyApprovals(unsigned, high.trust.lookup(), { requiredApprovals: 1 })).reasons).toContainEqual(expect.stringMatching(/creation is not signed by an identity/));
    const file = join(dir, 'manifest.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"station":"low"', '"station":"elsewhere"'));
    await expect(review('rita')).rejects.toThrow(/creation signature does not verify/);
  });

  it('refuses to approve a bundle whose delivery fields differ from what review shows, naming the artifact and field', async () => {
    const { manifest } = await readManifest(dir);
    const model = manifest.artifacts[0]!;
    const other = await makeBundle(join(t.path, 'mismatch'), low.ids.unlock('op', PASS), { artifacts: [{ ...model, repo: 'victim/prod-model' }] });
    await expect(reviewBundle({ dir: other, decision: 'approve', reason: 'looks right' }, { db: low.db, custody: low.custody, acting: low.ids.unlock('rita', PASS) })).rejects.toThrow(
      /cannot be approved: what review shows differs from what delivery would do \(model org\/m: field repo .*victim\/prod-model/,
    );
    await expect(review('rita')).resolves.toMatchObject({ decision: 'approve' });
  });

  it('counts distinct pinned reviewers against the policy, and a pinned rejection refuses', async () => {
    await review('rita');
    await review('rita');
    pin('rita');
    pin('ray');
    expect((await check(2)).reasons).toEqual(['needs 2 approval(s) from distinct pinned reviewers, has 1']);
    await review('ray');
    expect(await check(2)).toMatchObject({ ok: true, approvedBy: [{ name: expect.any(String) }, { name: expect.any(String) }] });
    await expect(review('ray', 'reject', '')).rejects.toThrow(/needs a reason/);
    await review('ray', 'reject', 'licence not cleared');
    const v = await check(1);
    expect(v.ok).toBe(false);
    expect(v.reasons).toContainEqual(expect.stringMatching(/rejected by ray .*licence not cleared/));
    expect(low.custody.bundleEvents(v.bundleId).at(-1)).toMatchObject({ type: 'rejected', details: { reason: 'licence not cleared' } });
  });

  it('only reviewers and admins review', async () => {
    await expect(review('op')).rejects.toThrow(/only a reviewer or an admin/);
    await expect(review('aud')).rejects.toThrow(/only a reviewer or an admin/);
  });

  it('refuses to approve a blocked bundle, and a blocked bundle never verifies', async () => {
    const blocked = await makeBundle(join(t.path, 'blocked'), low.ids.unlock('op', PASS), { scan: { scannedAt: isoWithOffset(), blocked: true } });
    const acting = low.ids.unlock('rita', PASS);
    await expect(reviewBundle({ dir: blocked, decision: 'approve', reason: '' }, { db: low.db, custody: low.custody, acting })).rejects.toThrow(/unresolved blocking scan finding\(s\) and cannot be approved: \. \(scan\.blocked/);
    await reviewBundle({ dir: blocked, decision: 'reject', reason: 'pickle calls os.system' }, { db: low.db, custody: low.custody, acting });
    pin('rita');
    const v = await verifyApprovals(blocked, high.trust.lookup(), { requiredApprovals: 1 });
    expect(v.reasons[0]).toMatch(/^blocked/);
  });

  it('treats a dangerous scan finding anywhere in the manifest as blocking', () => {
    const m = { artifacts: [{ kind: 'model' }, { kind: 'model', scan: { blocked: true } }] } as unknown as BundleManifest;
    expect(isBlocked(m)).toBe(true);
    expect(isBlocked({ scan: { blocked: true }, artifacts: [] } as unknown as BundleManifest)).toBe(true);
    expect(isBlocked({ artifacts: [{ kind: 'model', scan: { blocked: false } }] } as unknown as BundleManifest)).toBe(false);
  });
});
