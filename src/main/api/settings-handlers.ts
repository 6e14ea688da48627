import type { InvokeArg, InvokeResult } from '../../shared/api';
import type { SettingsInvokeApi } from '../../shared/api-settings';
import type { Services } from '../core/services';
import { CredentialStore } from '../credentials/credential-store';
import { saveAntivirusPolicy, saveMirrors, stationSettings } from '../settings/station-settings';
import type { CallContext } from './call-context';
import { stationAdmin } from './station-admin-access';

type C = keyof SettingsInvokeApi;
type H<K extends C> = (arg: InvokeArg<K>) => Promise<InvokeResult<K>>;

/** `settings:get|set` (mirrors; proxy variables read-only) and `credentials:list|set|remove` (secrets go in, never out). */
export function settingsHandlers(s: Pick<Services, 'db' | 'dataDir'> & Partial<Pick<Services, 'custody'>>): { [K in C]: H<K> } {
  const creds = new CredentialStore(s.db, s.dataDir);
  return {
    'settings:get': async () => stationSettings(s.db),
    'settings:set': async ({ mirrors, requireCleanAntivirus }, ctx?: CallContext) => {
      if (mirrors) saveMirrors(s.db, mirrors);
      if (requireCleanAntivirus !== undefined) {
        const acting = stationAdmin(ctx ?? {}, s.db, 'changing the antivirus approval policy (requireCleanAntivirus)');
        saveAntivirusPolicy({ db: s.db, custody: s.custody! }, acting, requireCleanAntivirus);
      }
      return stationSettings(s.db);
    },
    'credentials:list': async () => creds.list(),
    'credentials:set': async ({ registry, username, password }) => creds.set(registry, username, password),
    'credentials:remove': async ({ registry }) => ({ removed: creds.remove(registry) }),
  };
}
