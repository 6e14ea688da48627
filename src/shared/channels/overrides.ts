import { z } from 'zod';
import { channel } from '../contract';
import type { ApprovalStateView, OverrideResultView } from '../api-overrides';
import { text } from './fields';

// Overrides of blocking scan findings, and a bundle's approval state.

export const OVERRIDE_CHANNELS = {
  'review:override': channel(z.strictObject({ dir: text().min(1), file: text(4200).min(1), rule: text(64).min(1), detail: text(2000).optional(), reason: text(4000) })).returns<OverrideResultView>(),
  'bundle:approval': channel(z.strictObject({ dir: text().min(1) })).returns<ApprovalStateView>(),
};
