import { DsseEnvelopeSchema, ENVELOPE_SUFFIX, writeEnvelope, type DsseEnvelope, type DsseSigner } from './dsse';
import { envelopeProblem, manifestStatement, signStatementEnvelope, type IntotoStatement } from './intoto-statement';
import { APPROVALS_DIR, readSignedFiles, type Statement, type StatementFile } from './statement';

// Each ferry.review.v1 statement in approvals/ is restated as an in-toto Statement in a DSSE
// envelope beside it (`<same base name>.intoto.json`), signed with the same reviewer key, so any
// tool (or openssl and sha256sum alone) can check an approval. The ferry.review.v1 statement stays
// the one Ferry counts; the envelope must say exactly the same or the bundle is refused.

export const APPROVAL_PREDICATE_TYPE = 'https://ferry.dev/approval/v1';

/** The predicate is the statement itself less what the in-toto frame already says (its format, the manifest's sha256). */
export function approvalIntoto(s: Statement): IntotoStatement<Record<string, unknown>> {
  const { format: _format, manifestSha256, ...predicate } = s;
  return manifestStatement(manifestSha256, APPROVAL_PREDICATE_TYPE, predicate as Record<string, unknown>);
}

/** `approvals/<base>.json` → `approvals/<base>.intoto.json`. */
export function envelopePathFor(statementRel: string): string {
  return statementRel.replace(/\.json$/, ENVELOPE_SUFFIX);
}

export function signApprovalEnvelope(s: Statement, signer: DsseSigner): DsseEnvelope {
  return signStatementEnvelope(approvalIntoto(s), signer);
}

/** Writes the envelope for the statement just written at `statementRel`; returns its path. */
export function writeApprovalEnvelope(bundleDir: string, statementRel: string, s: Statement, signer: DsseSigner): Promise<string> {
  return writeEnvelope(bundleDir, envelopePathFor(statementRel), signApprovalEnvelope(s, signer));
}

/**
 * Checks every envelope in approvals/ against the statement of the same base name: signed by the
 * statement's reviewer key over this statement's manifest, decision, reviewer and the rest. An
 * envelope without its statement, unreadable, or disagreeing is a problem naming the envelope.
 * A statement without an envelope is fine (bundles reviewed before envelopes existed).
 * `statements` maps each statement path to its file, or to undefined when it could not be read
 * (that problem is reported with the statement).
 */
export async function approvalEnvelopeProblems(bundleDir: string, statements: ReadonlyMap<string, StatementFile | undefined>): Promise<{ path: string; problem: string }[]> {
  const out: { path: string; problem: string }[] = [];
  for (const r of await readSignedFiles(bundleDir, APPROVALS_DIR, DsseEnvelopeSchema, 'DSSE envelope', (name) => name.endsWith(ENVELOPE_SUFFIX))) {
    if ('problem' in r) {
      if (r.path !== APPROVALS_DIR) out.push(r); // approvals/ itself not a folder: reported with the statements
      continue;
    }
    const statementRel = r.path.slice(0, -ENVELOPE_SUFFIX.length) + '.json';
    if (!statements.has(statementRel)) {
      out.push({ path: r.path, problem: `an approval envelope without its statement ${statementRel}` });
      continue;
    }
    const f = statements.get(statementRel);
    if (!f) continue;
    const p = envelopeProblem(r.file, { fingerprint: f.statement.reviewer.fingerprint, publicKey: f.publicKey }, approvalIntoto(f.statement), statementRel);
    if (p) out.push({ path: r.path, problem: `disagrees with ${statementRel}: ${p}` });
  }
  return out;
}
