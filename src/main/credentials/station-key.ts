import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FerryError } from '../../shared/errors';

// The station key encrypts stored registry secrets. It lives in its own file beside the
// database, so a copy of ferry.db alone does not reveal them; anyone who can read the whole
// data directory (key file included) can.

export const KEY_FILE = 'credentials.key';
export const KEY_BYTES = 32;

export function keyPath(dataDir: string): string {
  return join(dataDir, KEY_FILE);
}

function readKey(file: string): Buffer {
  const st = statSync(file);
  if (!st.isFile()) throw new FerryError(`${file} is not a regular file`, 'Remove it; Ferry creates a new station key (stored credentials must then be entered again).');
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new FerryError(`${file} is readable by other users (mode ${(st.mode & 0o777).toString(8)})`, `Run: chmod 600 ${file}`);
  }
  const key = readFileSync(file);
  if (key.length !== KEY_BYTES) throw new FerryError(`${file} holds ${key.length} bytes, not a ${KEY_BYTES}-byte key`, 'The key file is damaged: remove it and enter stored registry credentials again (ferry credentials add).');
  return key;
}

/** The station key if it exists, else undefined (nothing is created). */
export function loadStationKey(dataDir: string): Buffer | undefined {
  const file = keyPath(dataDir);
  try {
    statSync(file);
  } catch {
    return undefined;
  }
  return readKey(file);
}

/**
 * The station key, created on first use: 32 random bytes written 0600 to a temporary file,
 * fsynced, and hard-linked into place, so a concurrent creator never sees a partial key and
 * exactly one key wins.
 */
export function ensureStationKey(dataDir: string): Buffer {
  const existing = loadStationKey(dataDir);
  if (existing) return existing;
  const file = keyPath(dataDir);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, randomBytes(KEY_BYTES));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  return readKey(file);
}
