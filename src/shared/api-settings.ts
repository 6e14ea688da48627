// Station settings and stored registry credentials: `settings:*` and `credentials:*` channels.
// A stored secret never crosses the API: it goes in with `credentials:set` and never comes back.

/** A stored registry login as the API shows it: no secret, not even its length. */
export interface StoredCredential {
  /** HOST[:PORT], lower case; docker.io for Docker Hub. */
  registry: string;
  username: string;
  updatedAt: string;
}

export interface SetCredentialRequest {
  registry: string;
  username: string;
  password: string;
}

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

export interface SetSettingsRequest {
  mirrors?: string[];
  /** Changing it needs an admin once the station has one; recorded in custody. */
  requireCleanAntivirus?: boolean;
}

export interface SettingsInvokeApi {
  'settings:get': (arg: Record<string, never>) => Promise<StationSettings>;
  'settings:set': (arg: SetSettingsRequest) => Promise<StationSettings>;
  'credentials:list': (arg: Record<string, never>) => Promise<StoredCredential[]>;
  'credentials:set': (arg: SetCredentialRequest) => Promise<StoredCredential>;
  'credentials:remove': (arg: { registry: string }) => Promise<{ removed: boolean }>;
}

export const SETTINGS_CHANNELS = ['settings:get', 'settings:set', 'credentials:list', 'credentials:set', 'credentials:remove'] as const satisfies readonly (keyof SettingsInvokeApi)[];
