import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../../shared/errors';
import type { Credentials } from '../registry/auth';

const MAX_CONFIG = 1 << 20;
const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

function hostOf(key: string): string {
  return key.replace(/^https?:\/\//, '').split('/')[0]!.toLowerCase();
}

/**
 * Credentials for `registry` from the Docker config file's `auths` (base64 `user:password` in
 * `auth`, or `username`/`password`), as `docker login` and `skopeo login` write them.
 * Credential helpers (`credsStore`) are not run. Undefined when the file or entry is absent.
 */
export function dockerCredentials(registry: string, file = dockerConfigPath()): Credentials | undefined {
  let text: string;
  try {
    const buf = readFileSync(file);
    if (buf.byteLength > MAX_CONFIG) return undefined;
    text = buf.toString('utf8');
  } catch {
    return undefined;
  }
  let auths: Record<string, { auth?: unknown; username?: unknown; password?: unknown }>;
  try {
    auths = ((JSON.parse(text) as { auths?: unknown }).auths ?? {}) as typeof auths;
  } catch {
    throw new FerryError(`${file} is not valid JSON`, 'Fix or remove the Docker config file.');
  }
  const want = registry.toLowerCase();
  const keys = want === 'docker.io' ? HUB_KEYS : [want];
  for (const [key, entry] of Object.entries(auths)) {
    if (!keys.includes(key.toLowerCase()) && !keys.includes(hostOf(key))) continue;
    if (typeof entry?.auth === 'string' && entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (typeof entry?.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
  }
  return undefined;
}
