import { z } from 'zod';
import { FerryError, UsageError } from '../../shared/errors';
import { isoWithOffset } from '../core/clock';
import type { Db } from '../db/database';
import { DEFAULT_KDF, open, seal, type KdfParams } from './envelope';
import { fingerprintOf, formatFingerprint, generateKeyPair, isRole, privateKeyObject, signWith, verifyWith, type Role } from './keys';

export interface IdentityInfo {
  name: string;
  role: Role;
  publicKey: string;
  fingerprint: string;
  createdAt: string;
}

/** An identity whose private key is unlocked in memory for this process only. */
export interface ActingIdentity extends IdentityInfo {
  sign(context: string, message: Buffer | string): string;
}

/** What `ferry identity export-public` writes and `ferry trust add` reads. */
export const PUBLIC_KEY_FORMAT = 'ferry.pubkey.v1';
export const PublicKeyFileSchema = z.strictObject({
  format: z.literal(PUBLIC_KEY_FORMAT),
  name: z.string().min(1).max(128),
  role: z.string().max(32),
  publicKey: z.string().max(64),
  fingerprint: z.string().max(128),
});
export type PublicKeyFile = z.infer<typeof PublicKeyFileSchema>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

interface Row {
  name: string;
  role: string;
  public_key: string;
  fingerprint: string;
  envelope: string;
  created_at: string;
}

const info = (r: Row): IdentityInfo => ({ name: r.name, role: r.role as Role, publicKey: r.public_key, fingerprint: r.fingerprint, createdAt: r.created_at });
const aadOf = (name: string, fingerprint: string): string => `ferry.identity.v1\0${name}\0${fingerprint}`;

/** Local users with roles; each has an Ed25519 key pair whose private half is sealed at rest. */
export class IdentityStore {
  constructor(
    private readonly db: Db,
    private readonly kdf: KdfParams = DEFAULT_KDF,
  ) {}

  create(name: string, role: string, passphrase: string): IdentityInfo {
    if (!NAME.test(name)) throw new UsageError(`"${name}" is not a valid identity name.`, 'Use letters, digits, ".", "_", "-" or "@" (at most 128).');
    if (!isRole(role)) throw new UsageError(`Unknown role "${role}".`, 'Roles: operator, reviewer, admin, auditor.');
    if (this.find(name)) throw new UsageError(`An identity named "${name}" already exists on this station.`);
    const kp = generateKeyPair();
    try {
      const envelope = seal(kp.privateDer, passphrase, aadOf(name, kp.fingerprint), this.kdf);
      const createdAt = isoWithOffset();
      this.db
        .prepare('INSERT INTO identities (name, role, public_key, fingerprint, envelope, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(name, role, kp.publicKey, kp.fingerprint, JSON.stringify(envelope), createdAt);
      this.db
        .prepare('INSERT OR IGNORE INTO custody_keys (fingerprint, name, role, public_key, source) VALUES (?, ?, ?, ?, ?)')
        .run(kp.fingerprint, name, role, kp.publicKey, 'local');
      return { name, role, publicKey: kp.publicKey, fingerprint: kp.fingerprint, createdAt };
    } finally {
      kp.privateDer.fill(0);
    }
  }

  list(): IdentityInfo[] {
    return (this.db.prepare('SELECT * FROM identities ORDER BY name').all() as Row[]).map(info);
  }

  find(name: string): IdentityInfo | undefined {
    const r = this.db.prepare('SELECT * FROM identities WHERE name = ?').get(name) as Row | undefined;
    return r && info(r);
  }

  get(name: string): IdentityInfo {
    const found = this.find(name);
    if (!found) throw new UsageError(`No identity named "${name}" on this station.`, 'List them with "ferry identity list".');
    return found;
  }

  /** Decrypts the private key; the returned object signs without exposing it. */
  unlock(name: string, passphrase: string): ActingIdentity {
    const r = this.db.prepare('SELECT * FROM identities WHERE name = ?').get(name) as Row | undefined;
    if (!r) throw new UsageError(`No identity named "${name}" on this station.`, 'List them with "ferry identity list".');
    const der = open(JSON.parse(r.envelope), passphrase, aadOf(r.name, r.fingerprint));
    try {
      const key = privateKeyObject(der);
      const id = info(r);
      const probe = signWith(key, 'ferry.identity.probe', id.fingerprint);
      if (fingerprintOf(id.publicKey) !== id.fingerprint || !verifyWith(id.publicKey, 'ferry.identity.probe', id.fingerprint, probe)) {
        throw new FerryError(`Identity ${name}: the stored public key, fingerprint and private key do not belong together.`);
      }
      return { ...id, sign: (context, message) => signWith(key, context, message) };
    } finally {
      der.fill(0);
    }
  }

  exportPublic(name: string): PublicKeyFile {
    const id = this.get(name);
    return { format: PUBLIC_KEY_FORMAT, name: id.name, role: id.role, publicKey: id.publicKey, fingerprint: formatFingerprint(id.fingerprint) };
  }
}
