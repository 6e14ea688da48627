import type { InvokeArg, InvokeResult } from '../../shared/api';
import type { SettingsInvokeApi } from '../../shared/api-settings';
import type { Services } from '../core/services';
import { CredentialStore } from '../credentials/credential-store';
import { saveMirrors, stationSettings } from '../settings/station-settings';

type C = keyof SettingsInvokeApi;
type H<K extends C> = (arg: InvokeArg<K>) => Promise<InvokeResult<K>>;

/** `settings:get|set` (mirrors; proxy variables read-only) and `credentials:list|set|remove` (secrets go in, never out). */
export function settingsHandlers(s: Pick<Services, 'db' | 'dataDir'>): { [K in C]: H<K> } {
  const creds = new CredentialStore(s.db, s.dataDir);
  return {
    'settings:get': async () => stationSettings(s.db),
    'settings:set': async ({ mirrors }) => {
      saveMirrors(s.db, mirrors);
      return stationSettings(s.db);
    },
    'credentials:list': async () => creds.list(),
    'credentials:set': async ({ registry, username, password }) => creds.set(registry, username, password),
    'credentials:remove': async ({ registry }) => ({ removed: creds.remove(registry) }),
  };
}
