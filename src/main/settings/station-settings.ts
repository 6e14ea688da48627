import type { ProxyVariable, StationSettings } from '../../shared/api-settings';
import { UsageError } from '../../shared/errors';
import { parseMirrors } from '../acquire/mirrors';
import type { CustodyStore } from '../custody/custody-store';
import type { Db } from '../db/database';
import type { ActingIdentity } from '../identity/identity-store';
import { requireCleanAntivirus, setRequireCleanAntivirus } from './antivirus-policy';
import { getSetting, setSetting } from './settings-table';

// Registry mirrors kept in the station's settings table, and the proxy variables in effect.
// A request (or a CLI --mirror) that names mirrors overrides the settings entirely.

export const MIRRORS_KEY = 'registry.mirrors';
const MAX_MIRRORS = 100;

/** The mirrors saved in settings (empty when none, or when the stored value is unreadable). */
export function savedMirrors(db: Db): string[] {
  const raw = getSetting(db, MIRRORS_KEY);
  if (!raw) return [];
  try {
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** Validates (`SOURCE=HOST[:PORT][/PREFIX]`, one per source) and saves the mirrors; an empty list clears them. */
export function saveMirrors(db: Db, mirrors: readonly string[]): string[] {
  const clean = mirrors.map((m) => m.trim()).filter(Boolean);
  if (clean.length > MAX_MIRRORS) throw new UsageError(`Settings: ${clean.length} mirrors given; at most ${MAX_MIRRORS}`);
  const parsed = parseMirrors(clean);
  if (parsed.size !== clean.length) throw new UsageError('Settings: a source registry has more than one mirror', 'Give each source registry one mirror.');
  setSetting(db, MIRRORS_KEY, clean.length === 0 ? undefined : JSON.stringify(clean));
  return clean;
}

/** The request's mirrors when it names any, else the saved ones. */
export function effectiveMirrors(db: Db, requested: readonly string[] | undefined): string[] {
  return requested && requested.length > 0 ? [...requested] : savedMirrors(db);
}

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];

/** A proxy URL with any user:password replaced, so settings never show a proxy secret. */
export function redactProxy(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

export function proxyVariables(env: NodeJS.ProcessEnv = process.env): ProxyVariable[] {
  return PROXY_VARS.filter((n) => env[n]).map((name) => ({ name, value: redactProxy(env[name]!) }));
}

export function stationSettings(db: Db, env: NodeJS.ProcessEnv = process.env): StationSettings {
  return { mirrors: savedMirrors(db), proxy: proxyVariables(env), requireCleanAntivirus: requireCleanAntivirus(db) };
}

/**
 * Sets whether approval needs a clean antivirus result; the change is a custody event, signed by
 * `acting`. Who may change it is the handlers' rule (stationAdmin, api/station-admin-access.ts).
 */
export function saveAntivirusPolicy(s: { db: Db; custody: CustodyStore }, acting: ActingIdentity | undefined, required: boolean): void {
  setRequireCleanAntivirus(s.db, required);
  s.custody.append({ ...(acting ? { as: { actor: acting.name, signer: acting } } : {}), type: 'policy-changed', role: 'admin', details: { requireCleanAntivirus: required } });
}
