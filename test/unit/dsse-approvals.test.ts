import { existsSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/main/bundle/canonical-json';
import { exportCustody } from '../../src/main/custody/custody-export';
import { importCustody } from '../../src/main/custody/custody-import';
import { formatFingerprint } from '../../src/main/identity/keys';
import { parseKeyFile } from '../../src/main/identity/trust-store';
import { INTOTO_PAYLOAD_TYPE, openEnvelope, signEnvelope, type DsseEnvelope } from '../../src/main/review/dsse';
import { APPROVAL_PREDICATE_TYPE } from '../../src/main/review/intoto-approval';
import { CUSTODY_HEAD_PREDICATE_TYPE, HEAD_ENVELOPE_FILE } from '../../src/main/review/intoto-custody';
import { reviewBundle } from '../../src/main/review/review';
import { verifyApprovals } from '../../src/main/review/verify-approvals';
import { createdBundle, lowAndHigh, PASS, temp, type Station } from './custody-fixtures';

let t: ReturnType<typeof temp>;
let low: Station;
let high: Station;
let dir: string;

beforeEach(async () => {
  t = temp();
  ({ low, high } = lowAndHigh(t.path, [['op', 'operator'], ['rita', 'reviewer'], ['ray', 'reviewer']]));
  dir = await createdBundle(low, join(t.path, 'bundle'), 'op');
  const key = parseKeyFile(JSON.stringify(low.ids.exportPublic('rita')));
  high.trust.add(key, formatFingerprint(key.fingerprint), 'admin');
});
afterEach(() => {
  low.close();
  high.close();
  t.cleanup();
});

const review = (name = 'rita', decision: 'approve' | 'reject' = 'approve') =>
  reviewBundle({ dir, decision, reason: 'matches change 1234' }, { db: low.db, custody: low.custody, acting: low.ids.unlock(name, PASS) });
const check = () => verifyApprovals(dir, high.trust.lookup(), { requiredApprovals: 1 });
const readEnv = (rel: string): DsseEnvelope => JSON.parse(readFileSync(join(dir, rel), 'utf8')) as DsseEnvelope;
const payloadOf = (env: DsseEnvelope): Record<string, any> => JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
/** Re-signs the envelope's payload after `edit`, with `name`'s key: a valid signature over something else. */
const resign = (rel: string, edit: (p: Record<string, any>) => void, name = 'rita'): void => {
  const p = payloadOf(readEnv(rel));
  edit(p);
  writeFileSync(join(dir, rel), `${canonicalJson(signEnvelope(INTOTO_PAYLOAD_TYPE, Buffer.from(canonicalJson(p)), low.ids.unlock(name, PASS)))}\n`);
};

describe('approvals as in-toto statements in DSSE envelopes', () => {
  it('writes approvals/<same base>.intoto.json: an in-toto Statement v1 about manifest.json, signed by the reviewer', async () => {
    const r = await review();
    expect(r.envelopeFile).toBe(r.statementFile.replace(/\.json$/, '.intoto.json'));
    const env = readEnv(r.envelopeFile);
    expect(readFileSync(join(dir, r.envelopeFile), 'utf8').trimEnd()).not.toContain('\n'); // one line: a shell can cut it apart
    const rita = low.ids.unlock('rita', PASS);
    expect(env.signatures).toEqual([{ keyid: rita.fingerprint, sig: expect.any(String) }]);
    expect(openEnvelope(env, rita)).toHaveProperty('payload');
    expect(payloadOf(env)).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'manifest.json', digest: { sha256: r.manifestSha256 } }],
      predicateType: APPROVAL_PREDICATE_TYPE,
      predicate: { bundleId: r.bundleId, decision: 'approve', reason: 'matches change 1234', reviewer: { name: 'rita', fingerprint: rita.fingerprint, role: 'reviewer' }, station: 'low', at: expect.any(String) },
    });
    expect(await check()).toMatchObject({ ok: true, approvedBy: [{ name: 'rita' }], reasons: [] });
  });

  it('refuses an envelope that disagrees with its statement, naming the envelope and the field, though it is validly signed', async () => {
    const r = await review();
    const cases: [(p: Record<string, any>) => void, RegExp][] = [
      [(p) => (p.predicate.decision = 'reject'), /predicate field decision differs/],
      [(p) => (p.subject[0].digest.sha256 = 'f'.repeat(64)), /its subject is not this manifest/],
      [(p) => (p.predicate.reviewer.fingerprint = 'e'.repeat(64)), /predicate field reviewer differs/],
      [(p) => (p.predicateType = 'https://slsa.dev/provenance/v1'), /predicateType is "https:\/\/slsa.dev\/provenance\/v1"/],
    ];
    const good = readFileSync(join(dir, r.envelopeFile));
    for (const [edit, why] of cases) {
      resign(r.envelopeFile, edit);
      const v = await check();
      expect(v.ok).toBe(false);
      expect(v.reasons).toEqual([expect.stringMatching(new RegExp(`^${r.envelopeFile.replace(/\./g, '\\.')}: disagrees with ${r.statementFile.replace(/\./g, '\\.')}: ${why.source}`))]);
      writeFileSync(join(dir, r.envelopeFile), good);
    }
    resign(r.envelopeFile, () => undefined, 'ray'); // the same payload signed by ray: no signature with rita's keyid
    expect((await check()).reasons[0]).toMatch(/\.intoto\.json: disagrees with .*: no signature with keyid/);
    const env = JSON.parse(good.toString()) as DsseEnvelope;
    const ray = signEnvelope(INTOTO_PAYLOAD_TYPE, Buffer.from(env.payload, 'base64'), low.ids.unlock('ray', PASS));
    writeFileSync(join(dir, r.envelopeFile), canonicalJson({ ...env, signatures: [{ keyid: env.signatures[0]!.keyid, sig: ray.signatures[0]!.sig }] }));
    expect((await check()).reasons[0]).toMatch(/\.intoto\.json: disagrees with .*: the DSSE signature does not verify/);
    writeFileSync(join(dir, r.envelopeFile), '{"payloadType":"x"}');
    expect((await check()).reasons[0]).toMatch(/\.intoto\.json: not a valid DSSE envelope \(field payload\)/);
    writeFileSync(join(dir, r.envelopeFile), good);
    expect((await check()).ok).toBe(true);
  });

  it('refuses an envelope without its statement; a statement without an envelope (an older bundle) still counts', async () => {
    const r = await review();
    const env = readFileSync(join(dir, r.envelopeFile));
    unlinkSync(join(dir, r.envelopeFile));
    expect(await check()).toMatchObject({ ok: true, approvedBy: [{ name: 'rita' }] });
    writeFileSync(join(dir, 'approvals/extra.intoto.json'), env);
    expect((await check()).reasons).toEqual(['approvals/extra.intoto.json: an approval envelope without its statement approvals/extra.json']);
    unlinkSync(join(dir, 'approvals/extra.intoto.json'));
    symlinkSync(join(dir, 'manifest.json'), join(dir, r.envelopeFile)); // media is hostile: no links
    expect((await check()).reasons).toEqual([`${r.envelopeFile}: not a regular file`]);
  });

  it('writes custody/head.intoto.json for a signed export and checks it when the custody log is imported', async () => {
    const r = await review();
    expect(r.custody.files).toEqual(['custody/events.jsonl', 'custody/head.json', HEAD_ENVELOPE_FILE]);
    const env = readEnv(HEAD_ENVELOPE_FILE);
    const head = JSON.parse(readFileSync(join(dir, 'custody/head.json'), 'utf8'));
    expect(env.signatures[0]!.keyid).toBe(head.signer);
    expect(payloadOf(env)).toMatchObject({
      subject: [{ name: 'manifest.json', digest: { sha256: r.manifestSha256 } }],
      predicateType: CUSTODY_HEAD_PREDICATE_TYPE,
      predicate: { bundleId: r.bundleId, headHash: head.headHash, count: head.count, listDigest: head.listDigest, eventsSha256: head.eventsSha256, exporter: head.signer, exportedBy: 'rita' },
    });
    const good = readFileSync(join(dir, HEAD_ENVELOPE_FILE));
    resign(HEAD_ENVELOPE_FILE, (p) => (p.predicate.count = 1));
    await expect(importCustody(dir, high.db, high.custody)).rejects.toThrow(/custody\/head\.intoto\.json disagrees with custody\/head\.json: predicate field count differs/);
    writeFileSync(join(dir, HEAD_ENVELOPE_FILE), good);
    expect(await importCustody(dir, high.db, high.custody)).toMatchObject({ events: head.count });
  });

  it('an unsigned re-export removes a stale head envelope', async () => {
    await review();
    expect(existsSync(join(dir, HEAD_ENVELOPE_FILE))).toBe(true);
    expect((await exportCustody(dir, low.custody, low.db)).files).toEqual(['custody/events.jsonl', 'custody/head.json']);
    expect(existsSync(join(dir, HEAD_ENVELOPE_FILE))).toBe(false);
  });
});
