import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, rm } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FerryError, UsageError } from '../../../shared/errors';
import { writeFileAtomic } from '../../io/atomic-write';

// Install secrets (JWT signing keys and the like), generated on the offline host like
// `openssl genrsa -out NAME.key 2048`. Values are never logged and never returned to the UI:
// callers get paths and fingerprints; only readSecret hands a value out, to start a container.

export interface SecretSpec {
  name: string;
  kind: 'rsa-2048' | 'rsa-4096' | 'hex-32' | 'password';
}

export interface SecretFile {
  name: string;
  kind: SecretSpec['kind'];
  path: string;
  fingerprint: string;
  created: boolean;
}

const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const KINDS: readonly SecretSpec['kind'][] = ['rsa-2048', 'rsa-4096', 'hex-32', 'password'];
const generateKeyPairAsync = promisify(generateKeyPair);

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new UsageError(`Invalid secret name "${name}"`, 'Secret names are lowercase letters, digits and "_", starting with a letter (at most 63).');
  }
}

/** `<dir>/<name>.key` */
export function secretPath(dir: string, name: string): string {
  checkName(name);
  return join(dir, `${name}.key`);
}

/** Generates, or keeps valid existing, secrets in `dir` (0700), each `<name>.key` (0600). Safe to re-run. */
export async function ensureSecrets(dir: string, specs: SecretSpec[]): Promise<SecretFile[]> {
  const seen = new Set<string>();
  for (const s of specs) {
    checkName(s.name);
    if (!KINDS.includes(s.kind)) throw new UsageError(`Secret "${s.name}": unknown kind "${String(s.kind)}"`, `Use one of ${KINDS.join(', ')}.`);
    if (seen.has(s.name)) throw new UsageError(`Secret "${s.name}" is listed twice`, 'Give each secret a different name.');
    seen.add(s.name);
  }
  await ensureDir(dir);
  return Promise.all(specs.map((s) => ensureOne(dir, s)));
}

/** The secret's value, as `$(cat FILE)` would give it (trailing newlines removed). */
export async function readSecret(dir: string, name: string): Promise<string> {
  const path = secretPath(dir, name);
  const st = await lstatOrUndefined(path);
  if (!st) throw new FerryError(`Secret file ${path} does not exist`, 'Run the secrets step of the install first.');
  checkFileStat(path, st);
  return (await readFile(path, 'utf8')).replace(/\n+$/, '');
}

/** Deletes `<dir>/<name>.key` for each name; names already gone are skipped. */
export async function removeSecrets(dir: string, names: string[]): Promise<void> {
  const paths = names.map((n) => secretPath(dir, n));
  for (const p of paths) await rm(p, { force: true });
}

async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) {
    throw new FerryError(`Secrets folder ${dir} is not a directory`, 'Choose another folder for the install secrets, or remove what is in the way.');
  }
  if ((st.mode & 0o077) !== 0) {
    try {
      await chmod(dir, 0o700);
    } catch {
      throw new FerryError(
        `Secrets folder ${dir} is readable by other users (mode ${octal(st.mode)})`,
        `Run "chmod 700 ${dir}" as its owner, or choose another folder.`,
      );
    }
  }
}

async function ensureOne(dir: string, spec: SecretSpec): Promise<SecretFile> {
  const path = join(dir, `${spec.name}.key`);
  const st = await lstatOrUndefined(path);
  if (st) {
    checkFileStat(path, st);
    const text = (await readFile(path, 'utf8')).replace(/\n+$/, '');
    const fingerprint = validFingerprint(spec.kind, text);
    if (fingerprint === undefined) {
      throw new FerryError(
        `Secret file ${path} is not a valid ${spec.kind} secret`,
        `Remove ${path} to have a new one generated (anything configured with the old value must then be updated), or restore the right file.`,
      );
    }
    return { name: spec.name, kind: spec.kind, path, fingerprint, created: false };
  }
  const value = await generate(spec.kind);
  await writeSecretFile(path, value);
  const fingerprint = validFingerprint(spec.kind, value.replace(/\n+$/, ''))!;
  return { name: spec.name, kind: spec.kind, path, fingerprint, created: true };
}

function checkFileStat(path: string, st: Stats): void {
  if (st.isSymbolicLink() || !st.isFile()) {
    throw new FerryError(`Secret file ${path} is not a regular file`, `Remove ${path}; secrets are plain files written by Ferry (no symbolic links).`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw new FerryError(
      `Secret file ${path} is readable or writable by other users (mode ${octal(st.mode)})`,
      `Run "chmod 600 ${path}" if the key was never exposed, or remove it to have a new one generated.`,
    );
  }
}

async function generate(kind: SecretSpec['kind']): Promise<string> {
  switch (kind) {
    case 'rsa-2048':
    case 'rsa-4096': {
      const { privateKey } = await generateKeyPairAsync('rsa', {
        modulusLength: kind === 'rsa-2048' ? 2048 : 4096,
        publicExponent: 0x10001,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      return privateKey;
    }
    case 'hex-32':
      return randomBytes(32).toString('hex');
    case 'password':
      return randomBytes(24).toString('base64url');
  }
}

/** The fingerprint of a valid secret of `kind`, or undefined when `text` is not one. */
export function validFingerprint(kind: SecretSpec['kind'], text: string): string | undefined {
  if (kind === 'rsa-2048' || kind === 'rsa-4096') return rsaFingerprint(text, kind === 'rsa-2048' ? 2048 : 4096);
  const ok = kind === 'hex-32' ? /^[0-9a-f]{64}$/.test(text) : /^[A-Za-z0-9_-]{32,1024}$/.test(text);
  return ok ? `sha256:${createHash('sha256').update(text).digest('hex').slice(0, 16)}` : undefined;
}

function rsaFingerprint(pem: string, bits: number): string | undefined {
  if (!/^-----BEGIN (?:RSA )?PRIVATE KEY-----\n/.test(pem)) return undefined;
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    if (key.asymmetricKeyType !== 'rsa' || key.asymmetricKeyDetails?.modulusLength !== bits) return undefined;
    const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
    return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
  } catch {
    return undefined;
  }
}

/** Temp file created 0600 (never wider), fsynced, renamed into place; the folder is fsynced too. */
async function writeSecretFile(path: string, value: string): Promise<void> {
  await writeFileAtomic(path, value, { mode: 0o600, syncDir: true });
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}
