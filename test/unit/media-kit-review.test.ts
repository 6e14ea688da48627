import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleDocument } from '../../src/main/bundle/bundle-document';
import { readManifest } from '../../src/main/bundle/manifest-io';
import type { Progress } from '../../src/main/jobs/progress';
import { HashPool } from '../../src/main/hash/hash-pool';
import { formatFingerprint } from '../../src/main/identity/keys';
import { parseKeyFile } from '../../src/main/identity/trust-store';
import { kitCoverage, kitCoverageLine } from '../../src/main/media/kit-check';
import { chooseMediaKit } from '../../src/main/media/kit-media';
import { verifyMedia } from '../../src/main/media/media-service';
import { writeVolumes } from '../../src/main/media/write';
import { approvalLines, approvalState } from '../../src/main/review/approval-state';
import { documentText } from '../../src/main/review/diff-text';
import { reviewBundle } from '../../src/main/review/review';
import { StatementFileSchema } from '../../src/main/review/statement';
import { lowAndHigh, makeBundle, PASS, temp, type Station } from './custody-fixtures';
import { flipByte, makeFakeKit } from './media-kit-fixture';

// The reviewer sees the kit in ferry/ and approves it with the content: the statement signs its
// digest; offline verify says whether an approval covers the kit (a warning when none does).

const pool = new HashPool(2);
afterAll(() => pool.close());
let t: ReturnType<typeof temp>;
let low: Station;
let high: Station;
let dir: string;

beforeEach(async () => {
  t = temp();
  ({ low, high } = lowAndHigh(t.path, [['op', 'operator'], ['rita', 'reviewer']]));
  dir = await makeBundle(join(t.path, 'bundle'), low.ids.unlock('op', PASS));
});
afterEach(() => {
  low.close();
  high.close();
  t.cleanup();
});

const progress = (): Progress => ({ signal: new AbortController().signal, phase() {}, item() {}, itemState() {}, advance() {} });
const approve = () => reviewBundle({ dir, decision: 'approve', reason: 'content and tool reviewed' }, { db: low.db, custody: low.custody, acting: low.ids.unlock('rita', PASS) });
const pinRita = (): void => {
  const key = parseKeyFile(JSON.stringify(low.ids.exportPublic('rita')));
  high.trust.add(key, formatFingerprint(key.fingerprint), 'admin');
};

describe('the offline kit in review and approval', () => {
  it('shows the kit in the review document and text, and the approval signs its digest', async () => {
    const kit = makeFakeKit(join(dir, 'ferry'));
    const doc = await bundleDocument(dir);
    expect(doc.kit).toEqual({ dir: 'ferry', version: '0.1.0', commit: kit.manifest.ferry.commit, platform: 'linux/amd64', nodeVersion: '22.14.0', sha256: kit.sha256, files: 5, bytes: expect.any(Number) });
    const text = documentText(doc);
    expect(text).toContain(`Offline kit (ferry/): ferry 0.1.0 (commit ${kit.manifest.ferry.commit}), linux/amd64, node 22.14.0`);
    expect(text).toContain(`digest (kit.json sha256) ${kit.sha256}`);

    const r = await approve();
    expect(r.kitSha256).toBe(kit.sha256);
    const file = StatementFileSchema.parse(JSON.parse(readFileSync(join(dir, r.statementFile), 'utf8')));
    expect(file.statement.kitSha256).toBe(kit.sha256);
    expect(low.custody.bundleEvents(r.bundleId).at(-1)).toMatchObject({ type: 'approved', details: { kitSha256: kit.sha256 } });

    // Offline: covered only by a pinned reviewer's approval.
    expect((await kitCoverage(dir, { sha256: kit.sha256, version: '0.1.0', platform: 'linux/amd64' }, high.trust.lookup())).coveredBy).toEqual([]);
    pinRita();
    const covered = await kitCoverage(dir, { sha256: kit.sha256, version: '0.1.0', platform: 'linux/amd64' }, high.trust.lookup());
    expect(kitCoverageLine(covered)).toBe(`Kit: kit ${kit.sha256} covered by approval of rita (ferry 0.1.0, linux/amd64)`);
    const state = await approvalState(dir, high.db);
    expect(state.kit?.coveredBy.map((c) => c.name)).toEqual(['rita']);
    expect(approvalLines(state)).toContain(`Kit: kit ${kit.sha256} covered by approval of rita (ferry 0.1.0, linux/amd64)`);
  });

  it('another kit than the one approved is not covered: a warning in the approval state', async () => {
    makeFakeKit(join(dir, 'ferry'));
    await approve();
    pinRita();
    rmSync(join(dir, 'ferry'), { recursive: true });
    const other = makeFakeKit(join(dir, 'ferry'));
    const state = await approvalState(dir, high.db);
    expect(state.kit).toMatchObject({ sha256: other.sha256, coveredBy: [] });
    expect(approvalLines(state).join('\n')).toMatch(/Kit: WARNING: kit not covered by an approval \(kit [a-f0-9]{64}/);
    // The content approval itself still counts: the kit does not touch the gate.
    expect(state.approvedBy.map((a) => a.name)).toEqual(['rita']);
  });

  it('refuses to approve a folder whose kit does not match its kit.json, naming the file; no kit means no kitSha256', async () => {
    makeFakeKit(join(dir, 'ferry'));
    flipByte(join(dir, 'ferry/app/start.cjs'));
    await expect(approve()).rejects.toThrow(/offline kit in .*ferry does not match its kit\.json \(ferry\/app\/start\.cjs: /);
    rmSync(join(dir, 'ferry'), { recursive: true });
    const r = await approve();
    expect(r.kitSha256).toBeUndefined();
    expect((await bundleDocument(dir)).kit).toBeUndefined();
    expect((await approvalState(dir, low.db)).kit).toBeUndefined();
  });

  it('media write takes the bundle\'s own kit by default; offline verify of the volumes says the approval covers it', async () => {
    const kit = makeFakeKit(join(dir, 'ferry'));
    await approve();
    pinRita();
    const vols = ['v1'].map((n) => join(t.path, n));
    for (const v of vols) mkdirSync(v);
    const mk = await chooseMediaKit(dir, { dataDir: join(t.path, 'data') });
    expect(mk.dir).toBe(join(dir, 'ferry'));
    await writeVolumes(dir, vols, { fs: 'ext4', kit: mk, progress: progress(), pool });
    const r = await verifyMedia(vols, { custody: high.custody, pool, db: high.db }, progress());
    expect(r.problems).toEqual([]);
    expect(r.kit).toMatchObject({ sha256: kit.sha256, coveredBy: [{ name: 'rita' }] });
    // The volume itself is a folder the review document reads: it shows the kit on it.
    expect((await bundleDocument(vols[0]!)).kit?.sha256).toBe(kit.sha256);
    expect((await readManifest(vols[0]!)).sha256).toBe((await readManifest(dir)).sha256);
    expect(high.custody.bundleEvents((await readManifest(dir)).manifest.bundleId).at(-1)).toMatchObject({ type: 'verified', details: { kit: { sha256: kit.sha256, coveredBy: ['rita'] } } });
  });
});
