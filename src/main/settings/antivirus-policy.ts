import type { Db } from '../db/database';

// The station's antivirus approval policy: whether approving a bundle needs every model's
// antivirus result to be 'clean'. Default: yes. Kept in the settings table.

export const REQUIRE_CLEAN_AV_KEY = 'policy.requireCleanAntivirus';

export function requireCleanAntivirus(db: Db): boolean {
  const v = (db.prepare('SELECT value FROM settings WHERE key = ?').get(REQUIRE_CLEAN_AV_KEY) as { value: string } | undefined)?.value;
  return v !== 'false';
}

export function setRequireCleanAntivirus(db: Db, required: boolean): void {
  db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(REQUIRE_CLEAN_AV_KEY, String(required));
}
