import { z } from 'zod';
import { channel } from '../contract';
import type { JobInfo } from '../api';

// Joining a split bundle's volumes back into one bundle folder (job kind media.assemble).

export const MEDIA_ASSEMBLE_CHANNELS = {
  'media:assemble': channel(z.strictObject({ volumes: z.array(z.string().min(1).max(4096)).min(1).max(64), outDir: z.string().min(1).max(4096) })).returns<JobInfo>(),
};
