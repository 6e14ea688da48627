import { z } from 'zod';
import { channel } from '../contract';
import type { ChainStateView } from '../api-review';

// The custody log as the CLI's `ferry custody verify` and `ferry custody export` see it: the whole
// chain re-checked (with every imported chain), and a bundle's events written beside the bundle.

export type ImportedChainCheck = { ok: true; count: number } | { ok: false; origin: string; seq: number; eventId: string; reason: string };

export type CustodyChainView = ChainStateView & { imported: ImportedChainCheck };

export interface CustodyLogExport {
  bundleId: string;
  count: number;
  headHash: string | null;
  /** The head is signed by the caller. */
  signed: boolean;
  files: string[];
}

export const CUSTODY_LOG_CHANNELS = {
  /** Recompute the hash chain and signatures of the local log and of every imported chain. */
  'custody:chain': channel(z.strictObject({})).returns<CustodyChainView>(),
  /** Write the bundle's custody events into `<dir>/custody/`, the head signed by the caller (unsigned when nobody acts). */
  'custody:export-log': channel(z.strictObject({ dir: z.string().min(1).max(4096) })).returns<CustodyLogExport>(),
};
