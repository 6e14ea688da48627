import { z } from 'zod';
import type { OverrideInvokeApi } from '../../shared/api-overrides';
import type { ReviewInvokeApi } from '../../shared/api-review';

// Request schemas for the review, identity, trust and custody-verification channels.
const text = (max = 4096) => z.string().max(max);

export const REVIEW_SCHEMAS: Record<keyof ReviewInvokeApi, z.ZodType> = {
  'bundle:manifest': z.strictObject({ dir: text().min(1) }),
  'review:queue': z.object({}),
  'identity:list': z.object({}),
  'identity:current': z.object({}),
  // The passphrase is only checked for length here; it is never echoed in an error.
  'identity:login': z.strictObject({ name: text(128).min(1), passphrase: z.string().min(1, 'is empty').max(1024, 'is too long') }),
  'identity:logout': z.object({}),
  'review:decide': z.strictObject({ dir: text().min(1), decision: z.enum(['approve', 'reject']), reason: text(4000) }),
  'trust:list': z.object({}),
  'trust:add': z.strictObject({ path: text().min(1), confirm: text(256).optional(), name: text(128).optional(), role: text(32).optional() }),
  'trust:revoke': z.strictObject({ fingerprint: text(128).min(8), reason: text(1000) }),
  'custody:verify': z.strictObject({ bundleId: text(64).optional() }),
  'custody:export': z.strictObject({ bundleId: text(64).min(1), format: z.enum(['html', 'csv']), path: text().min(1), bundleDir: text().optional() }),
  'bundle:bom': z.strictObject({ dir: text().min(1), format: z.enum(['cyclonedx', 'spdx']), path: text().min(1) }),
};

/** Overrides of blocking findings and a bundle's approval state (src/shared/api-overrides.ts). */
export const OVERRIDE_SCHEMAS: Record<keyof OverrideInvokeApi, z.ZodType> = {
  'review:override': z.strictObject({ dir: text().min(1), file: text(4200).min(1), rule: text(64).min(1), detail: text(2000).optional(), reason: text(4000) }),
  'bundle:approval': z.strictObject({ dir: text().min(1) }),
};
