import type { z } from 'zod';
import type { ApiOf } from './contract';
import type { SETTINGS_CHANNELS } from './channels/settings';

// Station settings and stored registry credentials: `settings:*` and `credentials:*` channels.
// A stored secret never crosses the API: it goes in with `credentials:set` and never comes back.

/** A stored registry login as the API shows it: no secret, not even its length. */
export interface StoredCredential {
  /** HOST[:PORT], lower case; docker.io for Docker Hub. */
  registry: string;
  username: string;
  updatedAt: string;
}

export type SetCredentialRequest = z.input<(typeof SETTINGS_CHANNELS)['credentials:set']['arg']>;

/** A proxy variable from the environment, with any user:password in its URL replaced by `***`. */
export interface ProxyVariable {
  name: string;
  value: string;
}

export interface StationSettings {
  /** `SOURCE=HOST[:PORT][/PREFIX]`, used by bundle create and resolve when a request names none. */
  mirrors: string[];
  /** HTTPS_PROXY / HTTP_PROXY / NO_PROXY as this process sees them (read-only; set in the environment). */
  proxy: ProxyVariable[];
  /** Whether approving a bundle needs every model's antivirus result to be 'clean' (default true). */
  requireCleanAntivirus: boolean;
}

export type SetSettingsRequest = z.input<(typeof SETTINGS_CHANNELS)['settings:set']['arg']>;

export type SettingsInvokeApi = ApiOf<typeof SETTINGS_CHANNELS>;
