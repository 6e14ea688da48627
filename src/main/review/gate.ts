import { FerryError } from '../../shared/errors';
import type { CustodyStore } from '../custody/custody-store';
import type { Db } from '../db/database';
import { approvalPolicy } from '../identity/station';
import { TrustStore } from '../identity/trust-store';
import { overridesState } from './overrides';
import { verifyApprovals, type ApprovalVerdict } from './verify-approvals';

export type ApprovalGate = (dir: string) => Promise<ApprovalVerdict | undefined>;

/**
 * The import gate: when the station policy requires approvals, the bundle must carry
 * enough verified approvals from distinct pinned reviewers, and every blocking finding an
 * override signed by a pinned reviewer, or nothing is imported.
 * Records the outcome as a custody event either way.
 */
export function approvalGate(db: Db, custody: CustodyStore): ApprovalGate {
  return async (dir) => {
    const policy = approvalPolicy(db);
    if (!policy.requireApprovals) return undefined;
    const trust = new TrustStore(db).lookup();
    const verdict = await verifyApprovals(dir, trust, policy);
    const overrides = (await overridesState(dir, { trust })).valid;
    custody.append({
      type: verdict.ok ? 'approvals-verified' : 'import-refused',
      role: 'admin',
      bundleId: verdict.bundleId,
      details: {
        dir,
        manifestSha256: verdict.manifestSha256,
        required: verdict.required,
        approvedBy: verdict.approvedBy,
        overrides: overrides.map((o) => ({ file: o.file, rule: o.rule, by: o.by.name, reviewerFingerprint: o.by.fingerprint })),
        ...(verdict.ok ? {} : { reasons: verdict.reasons }),
      },
    });
    if (!verdict.ok) {
      throw new FerryError(
        `Bundle ${dir} is not approved for import on this station: ${verdict.reasons.join('; ')}. Nothing was imported.`,
        'Check the approvals with "ferry trust check DIR"; pin the reviewer\'s key with "ferry trust add" if it is missing.',
        'ApprovalRefused',
      );
    }
    return verdict;
  };
}
