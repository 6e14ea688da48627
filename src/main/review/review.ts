import { resolve } from 'node:path';
import { FerryError, UsageError } from '../../shared/errors';
import { readManifest } from '../bundle/manifest-io';
import { isoWithOffset } from '../core/clock';
import { exportCustody, type ExportResult } from '../custody/custody-export';
import type { CustodyStore } from '../custody/custody-store';
import type { Db } from '../db/database';
import type { ActingIdentity } from '../identity/identity-store';
import { recordApproved } from './approved-store';
import { requireCleanAntivirus } from '../settings/antivirus-policy';
import { overrideCheck } from './approval-state';
import { antivirusProblem } from './antivirus-state';
import { overridesState, unresolvedMessage } from './overrides';
import { writeApprovalEnvelope } from './intoto-approval';
import { signStatement, statementPath, writeStatement, STATEMENT_FORMAT, type Statement } from './statement';
import { assertMayApprove } from '../bundle/creation';
import { identityProblems } from '../bundle/destinations';
import { APPROVER_ROLES } from './verify-approvals';
import { kitDigestToApprove } from '../media/kit-check';

export interface ReviewRequest {
  dir: string;
  decision: 'approve' | 'reject';
  reason: string;
}

export interface ReviewResult {
  bundleId: string;
  manifestSha256: string;
  decision: 'approve' | 'reject';
  statementFile: string;
  /** The same decision as an in-toto statement in a DSSE envelope (approvals/<base>.intoto.json). */
  envelopeFile: string;
  custodySeq: number;
  custody: ExportResult;
  /** The offline kit's digest the statement records (the folder carried ferry/kit.json). */
  kitSha256?: string;
}

/**
 * Records a reviewer's decision on exactly this manifest: a statement signed by the
 * reviewer's key, written into the bundle's approvals/, one signed custody event, and the
 * bundle's custody log exported into custody/ with its head signed by the reviewer.
 */
export async function reviewBundle(req: ReviewRequest, deps: { db: Db; custody: CustodyStore; acting: ActingIdentity; dataDir?: string }): Promise<ReviewResult> {
  const { acting, custody } = deps;
  const dir = resolve(req.dir);
  if (!(APPROVER_ROLES as readonly string[]).includes(acting.role)) throw new UsageError(`${acting.name} is ${acting.role}; only a reviewer or an admin can review.`);
  const reason = req.reason.trim();
  if (req.decision === 'reject' && !reason) throw new UsageError('A rejection needs a reason.', 'Pass --reason "…".');
  if (reason.length > 4000) throw new UsageError('The reason is over 4000 characters.');
  const { manifest, sha256 } = await readManifest(dir);
  if (req.decision === 'approve') {
    assertMayApprove(manifest, acting); // who may approve first: two-person rule, by key fingerprint (bundle/creation.ts)
    // What review shows must be what delivery does: the same rule verify refuses by (bundle/destinations.ts).
    const mismatched = manifest.artifacts.flatMap(identityProblems);
    if (mismatched.length > 0) {
      const list = mismatched.slice(0, 5).map((p) => `${p.artifact}: field ${p.field} ${p.detail}`).join('; ');
      throw new FerryError(`Bundle ${manifest.bundleId} cannot be approved: what review shows differs from what delivery would do (${list}${mismatched.length > 5 ? `; and ${mismatched.length - 5} more` : ''}).`, 'Reject it and create the bundle again with Ferry; a bundle whose fields disagree was not written by Ferry as reviewed.', 'ReviewRefused');
    }
    const blocks = await overridesState(dir, overrideCheck(deps.db));
    if (blocks.unresolved.length > 0) {
      const m = unresolvedMessage(dir, 'approved', blocks.unresolved);
      throw new FerryError(m.message, m.hint, 'ReviewRefused');
    }
    const av = antivirusProblem(blocks.antivirus, requireCleanAntivirus(deps.db));
    if (av) throw new FerryError(`Bundle ${manifest.bundleId} cannot be approved: ${av}.`, 'Scan again with a working ClamAV and current signatures (freshclam); or an admin turns the setting off ("ferry trust policy --require-clean-antivirus off", or Settings in the app).', 'ReviewRefused');
  }
  // The offline kit in ferry/ (a volume, or a bundle folder it was put into) is decided with the content: its digest is signed too.
  const kitSha256 = await kitDigestToApprove(dir);
  const statement: Statement = {
    format: STATEMENT_FORMAT,
    bundleId: manifest.bundleId,
    manifestSha256: sha256,
    decision: req.decision,
    reason,
    reviewer: { name: acting.name, fingerprint: acting.fingerprint, role: acting.role },
    station: custody.acting.station,
    ...(custody.acting.location ? { location: custody.acting.location } : {}),
    at: isoWithOffset(),
    ...(kitSha256 ? { kitSha256 } : {}),
  };
  const file = signStatement(statement, acting);
  const rel = await writeStatement(dir, file, statementPath(statement));
  const envelopeFile = await writeApprovalEnvelope(dir, rel, statement, acting);
  const signer = { fingerprint: acting.fingerprint, sign: acting.sign };
  const event = custody.append({
    as: { actor: acting.name, signer },
    type: req.decision === 'approve' ? 'approved' : 'rejected',
    role: acting.role,
    bundleId: manifest.bundleId,
    details: { manifestSha256: sha256, statement: rel, reviewerFingerprint: acting.fingerprint, reason, ...(kitSha256 ? { kitSha256 } : {}) },
  });
  // Kept so the next bundle of the same recipe can be compared with this one.
  if (req.decision === 'approve' && deps.dataDir) await recordApproved(deps.dataDir, manifest, sha256);
  const exported = await exportCustody(dir, custody, deps.db, signer);
  return { bundleId: manifest.bundleId, manifestSha256: sha256, decision: req.decision, statementFile: rel, envelopeFile, custodySeq: event.seq, custody: exported, ...(kitSha256 ? { kitSha256 } : {}) };
}
