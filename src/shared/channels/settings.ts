import { z } from 'zod';
import { channel } from '../contract';
import type { StationSettings, StoredCredential } from '../api-settings';
import { list, none, text } from './fields';

// Station settings and stored registry credentials. A stored secret never crosses the API:
// it goes in with `credentials:set` and never comes back.

export const SETTINGS_CHANNELS = {
  'settings:get': channel(none).returns<StationSettings>(),
  'settings:set': channel(
    z.strictObject({
      mirrors: list.max(100).optional(),
      /** Changing it needs an admin once the station has one; recorded in custody. */
      requireCleanAntivirus: z.boolean().optional(),
    }),
  ).returns<StationSettings>(),
  'credentials:list': channel(none).returns<StoredCredential[]>(),
  'credentials:set': channel(z.strictObject({ registry: text(255).min(1), username: text(256).min(1), password: z.string().min(1, 'is empty').max(4096, 'is too long') })).returns<StoredCredential>(),
  'credentials:remove': channel(z.strictObject({ registry: text(255).min(1) })).returns<{ removed: boolean }>(),
};
