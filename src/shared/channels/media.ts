import { z } from 'zod';
import { channel } from '../contract';
import type { JobInfo } from '../api';
import type { DriveView, MediaPlanView } from '../api-media';
import { list, none, text } from './fields';

// Removable media: detecting drives, planning, writing and verifying volumes.

export const MEDIA_CHANNELS = {
  'media:detect': channel(none).returns<{ drives: DriveView[]; refused: { device: string; reason: string }[] }>(),
  /** `kit`: count the offline kit on volume 1 (default true); `kitDir`: that kit folder rather than the bundle's ferry/ or this station's kit. */
  'media:plan': channel(z.strictObject({ dir: text().min(1), volumeSize: text(256).min(1), fs: text(16).optional(), kit: z.boolean().optional(), kitDir: text().min(1).optional() })).returns<MediaPlanView>(),
  /** `kit`: put the offline kit on volume 1 under ferry/ (default true); `kitDir` as for media:plan. */
  'media:write': channel(
    z.strictObject({ dir: text().min(1), targets: list.min(1), volumeSize: text(256).optional(), fs: text(16).optional(), unapprovedReason: text(2000).optional(), kit: z.boolean().optional(), kitDir: text().min(1).optional() }),
  ).returns<JobInfo>(),
  'media:verify': channel(z.strictObject({ dirs: list.min(1) })).returns<JobInfo>(),
};
