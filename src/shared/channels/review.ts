import { z } from 'zod';
import { channel } from '../contract';
import type { BundleDocument, CustodyVerifyResult, DecisionResult, IdentityView, QueueItem, SessionInfo, TrustAddResult, TrustedKeyView } from '../api-review';
import { none, passphrase, text } from './fields';

// Reading a bundle as a reviewer, deciding it, signing in, pinned keys, and custody verification and export.

export const REVIEW_CHANNELS = {
  'bundle:manifest': channel(z.strictObject({ dir: text().min(1) })).returns<BundleDocument>(),
  'identity:list': channel(none).returns<IdentityView[]>(),
  'identity:current': channel(none).returns<SessionInfo>(),
  'identity:login': channel(z.strictObject({ name: text(128).min(1), passphrase })).returns<SessionInfo>(),
  'identity:logout': channel(none).returns<SessionInfo>(),
  'review:decide': channel(z.strictObject({ dir: text().min(1), decision: z.enum(['approve', 'reject']), reason: text(4000) })).returns<DecisionResult>(),
  'review:queue': channel(none).returns<QueueItem[]>(),
  'trust:list': channel(none).returns<TrustedKeyView[]>(),
  'trust:add': channel(z.strictObject({ path: text().min(1), confirm: text(256).optional(), name: text(128).optional(), role: text(32).optional() })).returns<TrustAddResult>(),
  'trust:revoke': channel(z.strictObject({ fingerprint: text(128).min(8), reason: text(1000) })).returns<TrustedKeyView>(),
  'custody:verify': channel(z.strictObject({ bundleId: text(64).optional() })).returns<CustodyVerifyResult>(),
  'custody:export': channel(z.strictObject({ bundleId: text(64).min(1), format: z.enum(['html', 'csv']), path: text().min(1), bundleDir: text().optional() })).returns<{
    path: string;
    events: number;
  }>(),
  'bundle:bom': channel(z.strictObject({ dir: text().min(1), format: z.enum(['cyclonedx', 'spdx']), path: text().min(1) })).returns<{
    path: string;
    format: 'cyclonedx' | 'spdx';
    components: number;
    sha256: string;
  }>(),
};
