import type { Db } from '../db/database';
import { getSetting, setSetting } from './settings-table';

// The station's antivirus approval policy: whether approving a bundle needs every model's
// antivirus result to be 'clean'. Default: yes. Kept in the settings table.

export const REQUIRE_CLEAN_AV_KEY = 'policy.requireCleanAntivirus';

export function requireCleanAntivirus(db: Db): boolean {
  return getSetting(db, REQUIRE_CLEAN_AV_KEY) !== 'false';
}

export function setRequireCleanAntivirus(db: Db, required: boolean): void {
  setSetting(db, REQUIRE_CLEAN_AV_KEY, String(required));
}
