import type { Identity } from '../custody/custody-store';
import type { Db } from '../db/database';
import { getSetting, setSetting, type SettingKey } from '../settings/settings-table';

// Station settings (one key/value table): the station's name and location, which every
// custody record carries, and the approval policy the import gate applies.

export { getSetting, setSetting, type SettingKey };

export interface StationInfo {
  name?: string;
  location?: string;
}

export function stationInfo(db: Db): StationInfo {
  return { name: getSetting(db, 'station.name'), location: getSetting(db, 'station.location') };
}

/**
 * The station's configured name and location win over the host name; FERRY_STATION (an
 * explicit per-run override) wins over both.
 */
export function withStation(db: Db, base: Identity, env: NodeJS.ProcessEnv = process.env): Identity {
  const s = stationInfo(db);
  return { ...base, station: env.FERRY_STATION || s.name || base.station, ...(s.location ? { location: s.location } : {}) };
}

export interface ApprovalPolicy {
  /** Whether import refuses a bundle without enough verified approvals. */
  requireApprovals: boolean;
  /** Distinct pinned reviewers needed (1 or 2). */
  requiredApprovals: number;
  /** Where requireApprovals came from: an explicit setting, or the default. */
  source: 'setting' | 'default';
}

/**
 * Default: approvals are required as soon as any reviewer key has ever been pinned on this
 * station (revoking keys later does not switch the gate off); an explicit setting overrides.
 */
export function approvalPolicy(db: Db): ApprovalPolicy {
  const n = Number(getSetting(db, 'policy.requiredApprovals') ?? '1');
  const requiredApprovals = Number.isInteger(n) && n >= 1 && n <= 2 ? n : 1;
  const explicit = getSetting(db, 'policy.requireApprovals');
  if (explicit === 'true' || explicit === 'false') return { requireApprovals: explicit === 'true', requiredApprovals, source: 'setting' };
  const pinned = (db.prepare('SELECT COUNT(*) AS n FROM trusted_keys').get() as { n: number }).n;
  return { requireApprovals: pinned > 0, requiredApprovals, source: 'default' };
}
