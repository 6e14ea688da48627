import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The station data directory holds the encrypted identity keys, stored credentials, the station key
 * and the custody log (ferry.db and its -wal/-shm). It is 0700 and every file Ferry keeps in it 0600
 * (issue 14.6, docs/security.md):
 * - a new data dir is created 0700; ferry.db is created 0600 before SQLite opens it, so SQLite gives its
 *   -wal/-shm/-journal the same mode;
 * - Ferry's own top-level files found wider (an older Ferry made ferry.db 0644) are chmod'ed to 0600;
 * - an existing data dir wider than 0700 is left as it is (the admin may share it on purpose) with a
 *   warning on stderr saying how to fix it.
 * Returns `dir`, so services can write `const dataDir = secureDataDir(…)`.
 */
export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;
/** Top-level files Ferry creates in the data dir (a prefix match covers ferry.db-wal, -shm, -journal). */
const FERRY_FILES = [/^ferry\.db(-wal|-shm|-journal)?$/, /\.key$/];

export function secureDataDir(dir: string, warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
    chmodSync(dir, DATA_DIR_MODE); // the umask may have narrowed or the parent widened nothing; be exact
  } else {
    const st = lstatSync(dir);
    const mode = st.mode & 0o777;
    if (st.isDirectory() && (mode & 0o077) !== 0) {
      warn(`Warning: the Ferry data directory ${dir} is mode ${mode.toString(8).padStart(4, '0')}: other users can list it. It holds identity keys, credentials and the custody log. Run: chmod 700 ${dir}`);
    }
  }
  const db = join(dir, 'ferry.db');
  if (!existsSync(db)) closeSync(openSync(db, 'a', DATA_FILE_MODE));
  for (const name of readdirSync(dir)) {
    if (!FERRY_FILES.some((re) => re.test(name))) continue;
    const p = join(dir, name);
    try {
      const st = lstatSync(p);
      if (st.isFile() && (st.mode & 0o077) !== 0) chmodSync(p, DATA_FILE_MODE);
    } catch (err) {
      // Another Ferry process on this directory closed the database meanwhile and SQLite removed its -shm/-wal.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return dir;
}
