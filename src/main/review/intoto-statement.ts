import { canonicalJson } from '../bundle/canonical-json';
import { MANIFEST_FILE } from '../bundle/manifest-schema';
import { parseMediaJson } from '../io/media-file';
import { INTOTO_PAYLOAD_TYPE, openEnvelope, signEnvelope, type DsseEnvelope, type DsseSigner } from './dsse';

// in-toto Statement v1 (github.com/in-toto/attestation, spec/v1/statement.md) about one bundle:
// the subject is always the bundle's manifest.json by its sha256, so `sha256sum manifest.json`
// is the whole link between the signature and the bundle.

export const INTOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

export interface IntotoStatement<P> {
  _type: typeof INTOTO_STATEMENT_TYPE;
  subject: [{ name: typeof MANIFEST_FILE; digest: { sha256: string } }];
  predicateType: string;
  predicate: P;
}

export function manifestStatement<P>(manifestSha256: string, predicateType: string, predicate: P): IntotoStatement<P> {
  return { _type: INTOTO_STATEMENT_TYPE, subject: [{ name: MANIFEST_FILE, digest: { sha256: manifestSha256 } }], predicateType, predicate };
}

/** The payload bytes: canonical JSON, one line, so the same statement always signs the same bytes. */
export function statementPayload(s: IntotoStatement<unknown>): Buffer {
  return Buffer.from(canonicalJson(s), 'utf8');
}

export function signStatementEnvelope(s: IntotoStatement<unknown>, signer: DsseSigner): DsseEnvelope {
  return signEnvelope(INTOTO_PAYLOAD_TYPE, statementPayload(s), signer);
}

/**
 * Checks an envelope against the statement Ferry expects it to carry: the signature by `key`,
 * the payload type, and then the payload byte for byte. A difference is named by the first
 * field that differs (the manifest, then the predicate's fields), so the problem says what disagrees.
 */
export function envelopeProblem(env: DsseEnvelope, key: { fingerprint: string; publicKey: string }, expected: IntotoStatement<Record<string, unknown>>, name: string): string | undefined {
  if (env.payloadType !== INTOTO_PAYLOAD_TYPE) return `payloadType is ${JSON.stringify(env.payloadType.slice(0, 80))}, not ${INTOTO_PAYLOAD_TYPE}`;
  const opened = openEnvelope(env, key);
  if ('problem' in opened) return opened.problem;
  const want = statementPayload(expected);
  if (opened.payload.equals(want)) return undefined;
  let got: Record<string, unknown>;
  try {
    got = parseMediaJson(opened.payload, `${name} payload`) as Record<string, unknown>;
  } catch {
    return 'the payload is not valid JSON';
  }
  if (typeof got !== 'object' || got === null || Array.isArray(got)) return 'the payload is not an in-toto statement';
  if (got._type !== INTOTO_STATEMENT_TYPE) return `the payload is not an in-toto Statement v1 (_type ${JSON.stringify(String(got._type).slice(0, 80))})`;
  if (canonicalJson(got.subject) !== canonicalJson(expected.subject)) return `its subject is not this manifest (manifest.json sha256 ${expected.subject[0].digest.sha256.slice(0, 16)}…)`;
  if (got.predicateType !== expected.predicateType) return `predicateType is ${JSON.stringify(String(got.predicateType).slice(0, 80))}, not ${expected.predicateType}`;
  const p = (typeof got.predicate === 'object' && got.predicate !== null ? got.predicate : {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(expected.predicate), ...Object.keys(p)])].sort();
  const differs = keys.find((k) => canonicalJson(p[k] ?? null) !== canonicalJson(expected.predicate[k] ?? null));
  return differs ? `predicate field ${differs} differs` : 'the payload differs from what Ferry writes for it (not canonical JSON)';
}
