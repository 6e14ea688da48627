import { z } from 'zod';
import { channel } from '../contract';
import type { JobInfo } from '../api';

// What the operator's screens need beyond the core channels: a folder browser (headless mode;
// Electron also offers its native dialog), the bundles made recently, and running a canceled
// or failed job again (it resumes from what is already on disk).

export interface BrowseEntry {
  name: string;
  kind: 'dir' | 'file';
  size?: number;
}

export interface BrowseView {
  /** The folder listed (absolute, resolved). */
  path: string;
  parent?: string;
  /** Where browsing may start: the user's home and mounted media. */
  roots: { label: string; path: string }[];
  entries: BrowseEntry[];
}

export interface RecentBundle {
  dir: string;
  bundleId: string;
  createdAt: string;
  /** Recipe title or a short summary of what it holds. */
  title?: string;
  state?: string;
}

export const OPERATOR_CHANNELS = {
  'fs:browse': channel(z.strictObject({ path: z.string().max(4096).optional(), dirsOnly: z.boolean().optional() })).returns<BrowseView>(),
  'bundle:recent': channel(z.strictObject({ limit: z.number().int().min(1).max(100).optional() })).returns<RecentBundle[]>(),
  /** Run a canceled or failed job again with the request it was started with, as the caller. */
  'job:rerun': channel(z.strictObject({ id: z.string().min(1).max(64) })).returns<JobInfo>(),
};
