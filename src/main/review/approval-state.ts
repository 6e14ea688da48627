import { resolve } from 'node:path';
import type { ApprovalStateView } from '../../shared/api-overrides';
import { FerryError } from '../../shared/errors';
import type { Db } from '../db/database';
import { IdentityStore } from '../identity/identity-store';
import { formatFingerprint } from '../identity/keys';
import { approvalPolicy } from '../identity/station';
import { TrustStore, type TrustLookup } from '../identity/trust-store';
import { requireCleanAntivirus } from '../settings/antivirus-policy';
import { antivirusText } from './antivirus-state';
import { overridesState, type OverrideCheckOptions } from './overrides';
import { verifyApprovals } from './verify-approvals';
import { folderKitCoverage, kitCoverageLine } from '../media/kit-check';

/**
 * Which override signatures count when this station approves or writes media: where the policy
 * requires approvals, keys pinned here or this station's own identities; elsewhere any signature
 * that verifies over the manifest. (The import gate and `approvalState` accept pinned keys only.)
 */
export function overrideCheck(db: Db): OverrideCheckOptions {
  return approvalPolicy(db).requireApprovals ? { trust: knownKeys(db) } : {};
}

/** Pinned keys, then this station's own identities (the station that reviewed knows its reviewers without pinning them). */
function knownKeys(db: Db): TrustLookup {
  const pinned = new TrustStore(db).lookup();
  const local = new Map(new IdentityStore(db).list().map((i) => [i.fingerprint, i]));
  return (fp) => {
    const k = pinned(fp);
    if (k) return k;
    const i = local.get(fp);
    return i ? { fingerprint: i.fingerprint, name: i.name, role: i.role, publicKey: i.publicKey, pinnedAt: i.createdAt, pinnedBy: '(identity of this station)' } : undefined;
  };
}

/**
 * The bundle's approval state, for `ferry verify` and the verify screen: each approval with its
 * reviewer and whether the key is pinned here, whether the station's policy is met, the
 * overrides that travel with it and any blocking finding still open.
 */
export async function approvalState(dir: string, db: Db): Promise<ApprovalStateView> {
  const abs = resolve(dir);
  const policy = approvalPolicy(db);
  const trust = new TrustStore(db).lookup();
  const v = await verifyApprovals(abs, trust, policy);
  const o = await overridesState(abs, policy.requireApprovals ? { trust } : {});
  // Met as the import gate would judge it: approvals from pinned keys where the station requires
  // them; elsewhere only open blocking findings stand in the way.
  const policyMet = policy.requireApprovals ? v.ok : o.unresolved.length === 0;
  const reasons = policy.requireApprovals ? v.reasons : o.unresolved.map((f) => `blocking finding without an override: ${f.file} (${f.rule})`);
  const pinned = (fp: string): boolean => {
    const k = trust(fp);
    return Boolean(k && !k.revokedAt);
  };
  return {
    bundleId: v.bundleId,
    manifestSha256: v.manifestSha256,
    policy: { requireApprovals: policy.requireApprovals, requiredApprovals: policy.requiredApprovals, requireCleanAntivirus: requireCleanAntivirus(db) },
    approvals: v.checks.map((c) => ({
      name: c.reviewer ?? '(unreadable statement)',
      fingerprint: c.fingerprint ?? '',
      decision: c.decision ?? 'approve',
      pinned: c.fingerprint ? pinned(c.fingerprint) : false,
      counted: c.valid,
      ...(c.problem ? { problem: `${c.path}: ${c.problem}` } : {}),
    })),
    approvedBy: v.approvedBy,
    policyMet,
    reasons,
    overrides: o.valid.map(({ path: _p, ...x }) => x),
    unresolved: o.unresolved,
    antivirus: o.antivirus,
    ...(await folderKitCoverage(abs, trust)),
  };
}

/**
 * Whether the bundle carries enough approvals to be written to media on this station: approvals
 * that verify over this manifest, by reviewers whose keys are pinned here or are this station's
 * own identities, reaching the policy's count, with no standing rejection. Returns the reasons
 * it is not approved (empty when it is).
 */
export async function unapprovedReasons(dir: string, db: Db): Promise<string[]> {
  const v = await verifyApprovals(resolve(dir), knownKeys(db), approvalPolicy(db));
  return v.reasons;
}

/** The media-write gate for an unapproved bundle: refuses unless the caller gave a reason to write it anyway. */
export async function requireApprovedOrReason(dir: string, db: Db, unapprovedReason: string | undefined): Promise<{ approved: true } | { approved: false; reasons: string[]; unapprovedReason: string }> {
  const reasons = await unapprovedReasons(dir, db);
  if (reasons.length === 0) return { approved: true };
  const why = unapprovedReason?.trim() ?? '';
  if (why.length < 10) {
    throw new FerryError(
      `Bundle ${dir} is not approved (${reasons.join('; ')}); writing it to media needs an explicit choice with a reason.`,
      why
        ? 'The reason is too short: say why this unapproved bundle must go on media (at least 10 characters).'
        : 'Get it approved first ("ferry review DIR --approve --as REVIEWER"), or write it anyway with --unapproved-reason "why" (in the app: tick "Write although not approved" and give a reason). The choice and the reason are recorded in the custody log.',
      'UnapprovedBundle',
    );
  }
  return { approved: false, reasons, unapprovedReason: why };
}

/** The verify result with the approval state beside the hashes (left out when the manifest cannot be read). */
export async function withApprovalState<T extends object>(result: T, dir: string, db: Db): Promise<T & { approval?: ApprovalStateView }> {
  const approval = await approvalState(dir, db).catch(() => undefined);
  return approval ? { ...result, approval } : result;
}

/** The approval state as text lines for `ferry verify`. */
export function approvalLines(a: ApprovalStateView): string[] {
  const p = a.policy;
  const out = [
    `Approval: ${a.policyMet ? 'POLICY MET' : 'POLICY NOT MET'} (this station ${p.requireApprovals ? `requires ${p.requiredApprovals} approval(s) from pinned reviewers` : 'does not require approvals for import'}; approval ${p.requireCleanAntivirus ? 'needs' : 'does not need'} a clean antivirus result)`,
  ];
  if (a.approvals.length === 0) out.push('  no approval statements');
  for (const x of a.approvals) {
    out.push(`  ${x.decision === 'approve' ? 'approved' : 'rejected'} by ${x.name}  ${x.fingerprint ? formatFingerprint(x.fingerprint) : ''}  key ${x.pinned ? 'pinned' : 'NOT pinned'}${x.at ? `  ${x.at}` : ''}${x.counted ? '' : `  (not counted: ${x.problem ?? 'invalid'})`}`);
  }
  for (const o of a.overrides) out.push(`  OVERRIDDEN ${o.file}  ${o.rule}  by ${o.by.name} (${formatFingerprint(o.by.fingerprint)}) at ${o.at}: ${o.reason}`);
  for (const f of a.unresolved) out.push(`  UNRESOLVED ${f.file}  ${f.rule}  ${f.detail}`);
  for (const s of a.antivirus) out.push(`  antivirus ${s.artifact}: ${antivirusText(s)}`);
  if (a.kit) out.push(kitCoverageLine(a.kit));
  if (!a.policyMet) for (const r of a.reasons) out.push(`  why: ${r}`);
  return out;
}
