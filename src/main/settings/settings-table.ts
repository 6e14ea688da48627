import type { Db } from '../db/database';

// The station's settings table (key → text value): the one module that reads and writes it.
// Each key is named here; what a value means is its owner's (station.ts, station-settings.ts,
// antivirus-policy.ts, signature-policy.ts, syslog).

export type SettingKey =
  | 'station.name'
  | 'station.location'
  | 'policy.requiredApprovals'
  | 'policy.requireApprovals'
  | 'policy.requireCleanAntivirus'
  | 'signatures.policy'
  | 'registry.mirrors'
  | 'syslog.target';

export function getSetting(db: Db, key: SettingKey): string | undefined {
  return (db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

/** Saves `value` under `key`; undefined removes the key (its default applies again). */
export function setSetting(db: Db, key: SettingKey, value: string | undefined): void {
  if (value === undefined) db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  else db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}
