import { z } from 'zod';
import { channel } from '../contract';

// Whether a bundle's approvals meet this station's policy with the keys pinned here.

export interface ApprovalCheck {
  path: string;
  reviewer?: string;
  fingerprint?: string;
  decision?: 'approve' | 'reject';
  /** Counted towards the policy (approve) or blocking it (reject). */
  valid: boolean;
  problem?: string;
}

export interface ApprovalVerdict {
  ok: boolean;
  bundleId: string;
  manifestSha256: string;
  required: number;
  /** Distinct pinned reviewers whose approvals verify. */
  approvedBy: { name: string; fingerprint: string }[];
  checks: ApprovalCheck[];
  /** Why the bundle is refused; empty when ok. */
  reasons: string[];
  /** Statements that did not count but did not refuse an otherwise approved bundle. */
  notes: string[];
}
export interface TrustCheckView extends ApprovalVerdict {
  policy: { requiredApprovals: number };
}

export const TRUST_CHECK_CHANNELS = {
  'trust:check': channel(z.strictObject({ dir: z.string().min(1).max(4096) })).returns<TrustCheckView>(),
};
