import type { StoredCredential } from '../../shared/api-settings';
import { FerryError, UsageError } from '../../shared/errors';
import { isoWithOffset } from '../core/clock';
import type { Db } from '../db/database';
import type { Credentials } from '../registry/auth';
import { openSecret, sealSecret } from './secret-box';
import { ensureStationKey, keyPath, loadStationKey } from './station-key';

// Registry logins entered once (`ferry credentials add`, the Settings screen) and kept in the
// `credentials` table. The password is sealed with AES-256-GCM under the station key in
// <dataDir>/credentials.key, bound to the registry and user name. This protects a copied
// database; it does not protect against anyone who can read the data directory itself.

const HOST = /^(?:\[[0-9a-f:]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/;
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const MAX_SECRET = 4096;

/** `https://Registry.Example:5000/v2/` → `registry.example:5000`; Docker Hub aliases → `docker.io`. */
export function normalizeRegistry(input: string): string {
  const host = input.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0]!.toLowerCase();
  if (!HOST.test(host)) throw new UsageError(`Registry "${input}" is not HOST[:PORT]`, 'Example: ferry credentials add registry.internal:5000 --username ci --password-stdin');
  return HUB_ALIASES.has(host) ? 'docker.io' : host;
}

interface Row {
  registry: string;
  username: string;
  secret: Buffer;
  created_at: string;
  updated_at: string;
}

export class CredentialStore {
  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
  ) {}

  /** Stores (or replaces) the login for a registry; creates the station key on first use. */
  set(registry: string, username: string, password: string): StoredCredential {
    const host = normalizeRegistry(registry);
    if (!username || username.length > 256 || /[\u0000-\u001f]/.test(username)) throw new UsageError(`Credentials for ${host}: the user name is empty, too long or has control characters`);
    if (!password) throw new UsageError(`Credentials for ${host}: the password is empty`, 'Pipe it on stdin: printf %s "$PASSWORD" | ferry credentials add HOST --username U --password-stdin');
    if (password.length > MAX_SECRET) throw new UsageError(`Credentials for ${host}: the password is longer than ${MAX_SECRET} characters`);
    const secret = sealSecret(ensureStationKey(this.dataDir), host, username, password);
    const now = isoWithOffset();
    this.db
      .prepare(
        `INSERT INTO credentials (registry, username, secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(registry) DO UPDATE SET username = excluded.username, secret = excluded.secret, updated_at = excluded.updated_at`,
      )
      .run(host, username, secret, now, now);
    return { registry: host, username, updatedAt: now };
  }

  remove(registry: string): boolean {
    return this.db.prepare('DELETE FROM credentials WHERE registry = ?').run(normalizeRegistry(registry)).changes > 0;
  }

  /** Registry, user name and when it was last set: never the secret. */
  list(): StoredCredential[] {
    const rows = this.db.prepare('SELECT registry, username, updated_at FROM credentials ORDER BY registry').all() as Pick<Row, 'registry' | 'username' | 'updated_at'>[];
    return rows.map((r) => ({ registry: r.registry, username: r.username, updatedAt: r.updated_at }));
  }

  /** The decrypted login for a registry host, or undefined when none is stored. Throws when one is stored but cannot be opened. */
  get(registry: string): Credentials | undefined {
    let host: string;
    try {
      host = normalizeRegistry(registry);
    } catch {
      return undefined;
    }
    const row = this.db.prepare('SELECT registry, username, secret FROM credentials WHERE registry = ?').get(host) as Pick<Row, 'registry' | 'username' | 'secret'> | undefined;
    if (!row) return undefined;
    const key = loadStationKey(this.dataDir);
    const password = key ? openSecret(key, row.registry, row.username, row.secret) : undefined;
    if (password === undefined) {
      throw new FerryError(
        `The stored credentials for ${host} cannot be decrypted with ${keyPath(this.dataDir)}${key ? '' : ' (the key file is missing)'}`,
        `The database was copied from another station or the key file was replaced. Run: ferry credentials add ${host} --username ${row.username} --password-stdin`,
      );
    }
    return { username: row.username, password };
  }
}

/** A lookup for registry clients: stored credentials for a host, or undefined. */
export function storedCredentials(db: Db, dataDir: string): (host: string) => Credentials | undefined {
  const store = new CredentialStore(db, dataDir);
  return (host) => store.get(host);
}
