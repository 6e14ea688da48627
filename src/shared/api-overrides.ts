// Overrides of blocking scan findings, antivirus states and a bundle's approval state:
// `review:override` and `bundle:approval` channels, and the parts they add to the review
// document (BundleDocument) and the verify result.
import type { z } from 'zod';
import type { KitCoverageView } from './api-review';
import type { ApiOf } from './contract';
import type { OVERRIDE_CHANNELS } from './channels/overrides';

/** A blocking scan finding with no override covering it. `file` is bundle-relative. */
export interface UnresolvedFinding {
  file: string;
  rule: string;
  detail: string;
  /** The model whose scan reported it. */
  artifact?: string;
}

/** A reviewer's signed decision to accept one blocking finding of one manifest. */
export interface OverrideView {
  file: string;
  rule: string;
  detail: string;
  reason: string;
  by: { name: string; fingerprint: string; role: string };
  at: string;
  station: string;
  signature: string;
}

export type AntivirusStatus = 'clean' | 'infected' | 'not-run' | 'error';

/** One model's antivirus result as the reviewer must see it: the state itself, never hidden behind "scanned". */
export interface AntivirusStateView {
  artifact: string;
  status: AntivirusStatus;
  engine?: string;
  detail?: string;
  /** Date of the signature database the engine used, when known. */
  signaturesDate?: string;
}

/** What the review document carries beside the artifacts (spread in by review/overrides.ts). */
export interface OverrideDocumentPart {
  overrides?: OverrideView[];
  unresolved?: UnresolvedFinding[];
  antivirus?: AntivirusStateView[];
}

export interface ApprovalView {
  name: string;
  fingerprint: string;
  decision: 'approve' | 'reject';
  at?: string;
  /** Whether this station has the reviewer's key pinned (unrevoked). */
  pinned: boolean;
  /** Counted towards (or, for a rejection, against) the policy. */
  counted: boolean;
  problem?: string;
}

/** A bundle's approval state beside its hashes: who approved, whether their keys are pinned, whether the policy is met. */
export interface ApprovalStateView {
  bundleId: string;
  manifestSha256: string;
  policy: { requireApprovals: boolean; requiredApprovals: number; requireCleanAntivirus: boolean };
  approvals: ApprovalView[];
  /** Distinct pinned reviewers whose approvals verify. */
  approvedBy: { name: string; fingerprint: string }[];
  /** Enough verified approvals from pinned reviewers, and nothing blocking. */
  policyMet: boolean;
  /** Why the policy is not met (empty when it is). */
  reasons: string[];
  overrides: OverrideView[];
  unresolved: UnresolvedFinding[];
  antivirus: AntivirusStateView[];
  /** The folder carries the offline kit (ferry/kit.json): which approvals record its digest (a warning when none do). */
  kit?: KitCoverageView;
}

export type OverrideRequest = z.input<(typeof OVERRIDE_CHANNELS)['review:override']['arg']>;

export interface OverrideResultView {
  bundleId: string;
  manifestSha256: string;
  overrideFile: string;
  custodySeq: number;
  override: OverrideView;
  unresolved: UnresolvedFinding[];
}

export type OverrideInvokeApi = ApiOf<typeof OVERRIDE_CHANNELS>;
