import { FerryError, UsageError } from '../../shared/errors';
import { isoWithOffset } from '../core/clock';
import type { Db } from '../db/database';
import { PublicKeyFileSchema } from './identity-store';
import { fingerprintOf, formatFingerprint, isRole, normalizePublicKey, parseFingerprint } from './keys';

export interface TrustedKey {
  fingerprint: string;
  name: string;
  role: string;
  publicKey: string;
  pinnedAt: string;
  pinnedBy: string;
  revokedAt?: string;
  revokeReason?: string;
}

export type TrustLookup = (fingerprint: string) => TrustedKey | undefined;

interface Row {
  fingerprint: string;
  name: string;
  role: string;
  public_key: string;
  pinned_at: string;
  pinned_by: string;
  revoked_at: string | null;
  revoke_reason: string | null;
}

const fromRow = (r: Row): TrustedKey => ({
  fingerprint: r.fingerprint,
  name: r.name,
  role: r.role,
  publicKey: r.public_key,
  pinnedAt: r.pinned_at,
  pinnedBy: r.pinned_by,
  ...(r.revoked_at ? { revokedAt: r.revoked_at } : {}),
  ...(r.revoke_reason ? { revokeReason: r.revoke_reason } : {}),
});

export interface CandidateKey {
  name: string;
  role: string;
  publicKey: string;
  fingerprint: string;
}

/** Reads a key file: `ferry identity export-public` JSON, an SPKI PEM, or a bare base64 key. */
export function parseKeyFile(text: string, fallback: { name?: string; role?: string } = {}): CandidateKey {
  let name = fallback.name;
  let role = fallback.role ?? 'reviewer';
  let publicKey: string;
  if (text.trimStart().startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`The key file is not valid JSON: ${(err as Error).message}`);
    }
    const parsed = PublicKeyFileSchema.safeParse(json);
    if (!parsed.success) throw new UsageError('The key file is not a Ferry public key file.', 'Make it with "ferry identity export-public NAME".');
    name = fallback.name ?? parsed.data.name;
    role = fallback.role ?? parsed.data.role;
    publicKey = normalizePublicKey(parsed.data.publicKey);
  } else publicKey = normalizePublicKey(text);
  if (!name) throw new UsageError('The key file does not name its owner.', 'Pass --name.');
  if (!isRole(role)) throw new UsageError(`Unknown role "${role}".`);
  return { name, role, publicKey, fingerprint: fingerprintOf(publicKey) };
}

/** Reviewer (and admin) keys an admin pinned on this station after confirming their fingerprints. */
export class TrustStore {
  constructor(private readonly db: Db) {}

  /** Pins `key` only when `confirm` is the same fingerprint, read back by the person pinning it. */
  add(key: CandidateKey, confirm: string | undefined, pinnedBy: string): TrustedKey {
    const shown = formatFingerprint(key.fingerprint);
    if (!confirm) throw new UsageError(`The key of ${key.name} (${key.role}) has fingerprint ${shown}.`, 'Compare it with its owner over a trusted channel, then repeat with --confirm "<fingerprint>".');
    if (parseFingerprint(confirm) !== key.fingerprint) {
      throw new FerryError(`The fingerprint you confirmed does not match this key (${shown}); nothing was pinned.`, 'Get the key file again from its owner.', 'FingerprintMismatch');
    }
    const existing = this.get(key.fingerprint);
    if (existing?.revokedAt) throw new FerryError(`This key was revoked on ${existing.revokedAt}; a revoked key cannot be pinned again.`);
    if (existing) return existing;
    this.db
      .prepare('INSERT INTO trusted_keys (fingerprint, name, role, public_key, pinned_at, pinned_by) VALUES (?, ?, ?, ?, ?, ?)')
      .run(key.fingerprint, key.name, key.role, key.publicKey, isoWithOffset(), pinnedBy);
    this.db
      .prepare('INSERT OR IGNORE INTO custody_keys (fingerprint, name, role, public_key, source) VALUES (?, ?, ?, ?, ?)')
      .run(key.fingerprint, key.name, key.role, key.publicKey, 'pinned');
    return this.get(key.fingerprint)!;
  }

  get(fingerprint: string): TrustedKey | undefined {
    const r = this.db.prepare('SELECT * FROM trusted_keys WHERE fingerprint = ?').get(fingerprint) as Row | undefined;
    return r && fromRow(r);
  }

  /** Finds a pinned key by full fingerprint or a unique prefix of at least 8 hex characters. */
  resolve(text: string): TrustedKey {
    const hex = text.trim().replace(/^sha256:/i, '').replace(/[\s:]/g, '').toLowerCase();
    if (!/^[a-f0-9]{8,64}$/.test(hex)) throw new UsageError(`"${text}" is not a fingerprint.`);
    const rows = this.db.prepare("SELECT * FROM trusted_keys WHERE fingerprint LIKE ? || '%'").all(hex) as Row[];
    if (rows.length === 0) throw new UsageError(`No pinned key has fingerprint ${text}.`, 'List them with "ferry trust list".');
    if (rows.length > 1) throw new UsageError(`${text} matches ${rows.length} keys; give more of the fingerprint.`);
    return fromRow(rows[0]!);
  }

  list(): TrustedKey[] {
    return (this.db.prepare('SELECT * FROM trusted_keys ORDER BY pinned_at').all() as Row[]).map(fromRow);
  }

  revoke(fingerprint: string, reason: string): TrustedKey {
    const k = this.resolve(fingerprint);
    if (k.revokedAt) return k;
    this.db.prepare('UPDATE trusted_keys SET revoked_at = ?, revoke_reason = ? WHERE fingerprint = ?').run(isoWithOffset(), reason, k.fingerprint);
    return this.get(k.fingerprint)!;
  }

  lookup(): TrustLookup {
    return (fp) => this.get(fp);
  }
}
