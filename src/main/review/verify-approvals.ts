import { approvalProblem, creationVerdict } from '../bundle/creation';
import { readManifest } from '../bundle/manifest-io';
import type { BundleManifest } from '../bundle/manifest-schema';
import { formatFingerprint } from '../identity/keys';
import type { TrustLookup } from '../identity/trust-store';
import { approvalEnvelopeProblems } from './intoto-approval';
import { unresolvedBlocks } from './overrides';
import { readStatements, statementSignatureProblem, type Statement, type StatementFile } from './statement';
import type { ApprovalCheck, ApprovalVerdict } from '../../shared/channels/trust-check';

export const APPROVER_ROLES = ['reviewer', 'admin'] as const;

export type { ApprovalCheck, ApprovalVerdict };

const shortFp = (fp: string): string => `${formatFingerprint(fp).slice(0, 26)}…`;

/** The two-person rule, by key: whether `fingerprint` is the key that signed the bundle's creation. Names are never compared. */
export function isCreator(manifest: BundleManifest, fingerprint: string): boolean {
  const v = creationVerdict(manifest);
  return v.signed && v.fingerprint === fingerprint;
}

interface Problem {
  problem: string;
  /** Tampering or a revoked key: refuses the bundle whatever else it carries. Otherwise the statement just does not count. */
  fatal: boolean;
}

function check(f: StatementFile, manifest: BundleManifest, sha256: string, trust: TrustLookup): Problem | undefined {
  const s = f.statement;
  const sig = statementSignatureProblem(f);
  if (sig) return { problem: sig, fatal: true };
  if (s.manifestSha256 !== sha256) return { problem: `statement for another manifest (sha256 ${s.manifestSha256.slice(0, 16)}…; this manifest is ${sha256.slice(0, 16)}…)`, fatal: true };
  if (s.bundleId !== manifest.bundleId) return { problem: `statement for another bundle (${s.bundleId})`, fatal: true };
  const pinned = trust(s.reviewer.fingerprint);
  if (!pinned) return { problem: `signed by an unknown key ${shortFp(s.reviewer.fingerprint)} (${s.reviewer.name}), not pinned on this station`, fatal: false };
  if (pinned.revokedAt) {
    return { problem: `signed by a revoked key ${shortFp(s.reviewer.fingerprint)} (${pinned.name}, revoked ${pinned.revokedAt}${pinned.revokeReason ? `: ${pinned.revokeReason}` : ''})`, fatal: true };
  }
  if (!(APPROVER_ROLES as readonly string[]).includes(pinned.role)) return { problem: `${pinned.name} is pinned as ${pinned.role}, who cannot review`, fatal: false };
  const notCounted = s.decision === 'approve' ? approvalProblem(manifest, s.reviewer.fingerprint) : undefined;
  if (notCounted) return { problem: notCounted, fatal: false };
  return undefined;
}

/**
 * Offline check of the approvals that travel with a bundle, against this station's pinned
 * keys: every statement must be signed by a pinned, unrevoked reviewer over this exact
 * manifest; a valid rejection refuses; the creator's own approval never counts; and the
 * policy's number of distinct reviewers must be reached.
 */
export async function verifyApprovals(bundleDir: string, trust: TrustLookup, policy: { requiredApprovals: number }): Promise<ApprovalVerdict> {
  const { manifest, sha256 } = await readManifest(bundleDir);
  const checks: ApprovalCheck[] = [];
  const fatal: string[] = [];
  const ignored: string[] = [];
  const approvers = new Map<string, string>();
  const latest = new Map<string, Statement>();
  const read = await readStatements(bundleDir);
  for (const r of read) {
    if ('problem' in r) {
      checks.push({ path: r.path, valid: false, problem: r.problem });
      fatal.push(`${r.path}: ${r.problem}`);
      continue;
    }
    const s = r.file.statement;
    const p = check(r.file, manifest, sha256, trust);
    checks.push({ path: r.path, reviewer: s.reviewer.name, fingerprint: s.reviewer.fingerprint, decision: s.decision, valid: !p, ...(p ? { problem: p.problem } : {}) });
    if (p) (p.fatal ? fatal : ignored).push(`${r.path}: ${p.problem}`);
    else if (!latest.has(s.reviewer.fingerprint) || Date.parse(s.at) >= Date.parse(latest.get(s.reviewer.fingerprint)!.at)) latest.set(s.reviewer.fingerprint, s);
  }
  // The in-toto/DSSE restatement beside each statement must say the same (review/intoto-approval.ts).
  for (const e of await approvalEnvelopeProblems(bundleDir, new Map(read.map((r) => [r.path, 'file' in r ? r.file : undefined])))) {
    checks.push({ path: e.path, valid: false, problem: e.problem });
    fatal.push(`${e.path}: ${e.problem}`);
  }
  // A reviewer's latest decision stands: an approval after a rejection lifts it, and the reverse.
  for (const [fp, s] of latest) {
    if (s.decision === 'reject') fatal.push(`rejected by ${s.reviewer.name} on ${s.at}: ${s.reason || '(no reason given)'}`);
    else approvers.set(fp, trust(fp)!.name);
  }
  const unresolved = await unresolvedBlocks(bundleDir, { trust });
  if (unresolved.length > 0) fatal.unshift(`blocked: ${unresolved.length} blocking scan finding(s) without an override from a pinned reviewer (${unresolved.map((f) => `${f.file}: ${f.rule}`).join('; ')})`);
  const short = approvers.size < policy.requiredApprovals;
  const reasons = fatal.length > 0 || short ? [...fatal, ...ignored] : [];
  if (short) reasons.push(`needs ${policy.requiredApprovals} approval(s) from distinct pinned reviewers, has ${approvers.size}`);
  return {
    ok: reasons.length === 0,
    bundleId: manifest.bundleId,
    manifestSha256: sha256,
    required: policy.requiredApprovals,
    approvedBy: [...approvers].map(([fingerprint, name]) => ({ name, fingerprint })),
    checks,
    reasons,
    notes: reasons.length === 0 ? ignored : [],
  };
}
