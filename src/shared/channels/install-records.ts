import { z } from 'zod';
import { channel } from '../contract';

// Install records that were planned but never run (or fully undone) can be removed; nothing on
// the host is touched, only the record and what Ferry generated for it.

export interface InstallRemoved {
  installId: string;
  removed: true;
}

export const INSTALL_RECORD_CHANNELS = {
  'install:remove': channel(z.strictObject({ installId: z.string().min(1).max(64) })).returns<InstallRemoved>(),
};
