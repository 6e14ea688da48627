import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** FERRY_HOME, else the platform's per-user data directory. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.FERRY_HOME) return resolve(env.FERRY_HOME);
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Ferry');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Ferry');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'ferry');
}
