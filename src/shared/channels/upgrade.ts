import { z } from 'zod';
import { channel } from '../contract';
import type { JobInfo } from '../api';

// Upgrading an install to a newer bundle of its recipe. The job's result is an UpgradeResult
// (src/shared/upgrade-types.ts): outcome planned | upgraded | rolled-back, the diff, notes, backup.

export const UPGRADE_CHANNELS = {
  'upgrade:run': channel(
    z
      .strictObject({
        installId: z.string().min(1).max(64),
        dir: z.string().min(1).max(4096).optional(),
        volumes: z.array(z.string().min(1).max(4096)).min(1).max(64).optional(),
        /** Registry password for this run only (never stored). */
        password: z.string().max(4096, 'is too long').optional(),
        /** Verify and show the changes, notes and migration guide; change nothing. */
        planOnly: z.boolean().optional(),
      })
      .refine((r) => Boolean(r.dir) !== Boolean(r.volumes?.length), { message: 'or volumes must be given, not both', path: ['dir'] }),
  ).returns<JobInfo>(),
};
