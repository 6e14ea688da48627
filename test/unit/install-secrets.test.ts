import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmod, lstat, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FerryError, UsageError } from '../../src/shared/errors';
import { ensureSecrets, readSecret, removeSecrets, type SecretSpec } from '../../src/main/install/plan/secrets';

// The four AI Gateway keys from the offline GitLab Duo procedure (openssl genrsa ... 2048).
const JWT: SecretSpec[] = [
  { name: 'aigw_signing', kind: 'rsa-2048' },
  { name: 'aigw_validation', kind: 'rsa-2048' },
  { name: 'duo_workflow_jwt', kind: 'rsa-2048' },
  { name: 'duo_workflow_validation', kind: 'rsa-2048' },
];

let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-secrets-'));
  dir = join(root, 'secrets');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const mode = async (p: string) => (await lstat(p)).mode & 0o777;

async function rejection(p: Promise<unknown>): Promise<FerryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FerryError);
  return err as FerryError;
}

describe('ensureSecrets', { timeout: 30_000 }, () => {
  it('generates four RSA-2048 keys, 0600 in a 0700 folder, as PKCS#8 PEM with SSH-style fingerprints', async () => {
    const files = await ensureSecrets(dir, JWT);
    expect(await mode(dir)).toBe(0o700);
    expect(files.map((f) => f.name)).toEqual(JWT.map((s) => s.name));
    for (const f of files) {
      expect(f.created).toBe(true);
      expect(f.path).toBe(join(dir, `${f.name}.key`));
      expect(await mode(f.path)).toBe(0o600);
      const pem = await readFile(f.path, 'utf8');
      expect(pem.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
      const key = createPrivateKey(pem);
      expect(key.asymmetricKeyType).toBe('rsa');
      expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
      const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
      expect(f.fingerprint).toBe(`SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`);
      expect(f.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    }
    expect(new Set(files.map((f) => f.fingerprint)).size).toBe(4);
    // No temporary files left behind.
    expect((await readdir(dir)).sort()).toEqual(JWT.map((s) => `${s.name}.key`).sort());
  });

  it('writes keys OpenSSL accepts, with the fingerprint of its public key DER', async () => {
    const [f] = await ensureSecrets(dir, [{ name: 'aigw_signing', kind: 'rsa-2048' }]);
    expect(execFileSync('openssl', ['rsa', '-check', '-noout', '-in', f!.path], { encoding: 'utf8' })).toContain('RSA key ok');
    const der = execFileSync('openssl', ['pkey', '-in', f!.path, '-pubout', '-outform', 'DER']);
    expect(f!.fingerprint).toBe(`SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`);
  });

  it('keeps existing keys on re-run (same fingerprints, same bytes) and adds only the missing ones', async () => {
    const first = await ensureSecrets(dir, JWT.slice(0, 2));
    const before = await readFile(first[0]!.path);
    const second = await ensureSecrets(dir, JWT);
    expect(second.map((f) => f.created)).toEqual([false, false, true, true]);
    expect(second.slice(0, 2).map((f) => f.fingerprint)).toEqual(first.map((f) => f.fingerprint));
    expect(await readFile(first[0]!.path)).toEqual(before);
  });

  it('generates hex-32 and password secrets with short value fingerprints', async () => {
    const [hex, pw] = await ensureSecrets(dir, [
      { name: 'hex', kind: 'hex-32' },
      { name: 'pw', kind: 'password' },
    ]);
    const hexValue = await readSecret(dir, 'hex');
    const pwValue = await readSecret(dir, 'pw');
    expect(hexValue).toMatch(/^[0-9a-f]{64}$/);
    expect(pwValue).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(hex!.fingerprint).toBe(`sha256:${createHash('sha256').update(hexValue).digest('hex').slice(0, 16)}`);
    expect(pw!.fingerprint).toBe(`sha256:${createHash('sha256').update(pwValue).digest('hex').slice(0, 16)}`);
    expect(hex!.fingerprint).not.toContain(hexValue.slice(0, 16));
    const again = await ensureSecrets(dir, [
      { name: 'hex', kind: 'hex-32' },
      { name: 'pw', kind: 'password' },
    ]);
    expect(again.map((f) => [f.created, f.fingerprint])).toEqual([
      [false, hex!.fingerprint],
      [false, pw!.fingerprint],
    ]);
  });

  it('tightens an existing folder that others can read to 0700', async () => {
    await ensureSecrets(dir, []);
    await chmod(dir, 0o755);
    await ensureSecrets(dir, [{ name: 'pw', kind: 'password' }]);
    expect(await mode(dir)).toBe(0o700);
  });

  it('refuses a secret file others can read, naming it, and leaves it alone', async () => {
    const [f] = await ensureSecrets(dir, [JWT[0]!]);
    await chmod(f!.path, 0o644);
    const err = await rejection(ensureSecrets(dir, [JWT[0]!]));
    expect(err.message).toContain(f!.path);
    expect(err.message).toContain('0644');
    expect(err.hint).toContain(`chmod 600 ${f!.path}`);
    expect(await mode(f!.path)).toBe(0o644);
    const readErr = await rejection(readSecret(dir, JWT[0]!.name));
    expect(readErr.message).toContain('0644');
  });

  it.each([
    ['rsa-2048', 'not a key\n'],
    ['rsa-2048', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'],
    ['hex-32', 'abc123\n'],
    ['hex-32', `${'G'.repeat(64)}\n`],
    ['password', 'short'],
    ['password', `${'a'.repeat(31)} `],
  ] as const)('refuses a corrupt %s file (%j)', async (kind, content) => {
    await ensureSecrets(dir, []);
    const path = join(dir, 'broken.key');
    await writeFile(path, content, { mode: 0o600 });
    const err = await rejection(ensureSecrets(dir, [{ name: 'broken', kind }]));
    expect(err.message).toBe(`Secret file ${path} is not a valid ${kind} secret`);
    expect(err.hint).toContain(`Remove ${path}`);
    expect(await readFile(path, 'utf8')).toBe(content);
  });

  it('refuses an RSA key of the wrong size', async () => {
    await ensureSecrets(dir, []);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    await writeFile(join(dir, 'small.key'), privateKey, { mode: 0o600 });
    const err = await rejection(ensureSecrets(dir, [{ name: 'small', kind: 'rsa-2048' }]));
    expect(err.message).toContain('not a valid rsa-2048 secret');
  });

  it('keeps an existing PKCS#1 key (older openssl genrsa) of the right size', async () => {
    await ensureSecrets(dir, []);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    await writeFile(join(dir, 'old.key'), privateKey, { mode: 0o600 });
    const [f] = await ensureSecrets(dir, [{ name: 'old', kind: 'rsa-2048' }]);
    expect(f!.created).toBe(false);
    expect(await readFile(f!.path, 'utf8')).toBe(privateKey);
  });

  it('refuses a symbolic link in place of a secret file', async () => {
    await ensureSecrets(dir, []);
    const target = join(root, 'elsewhere.key');
    await writeFile(target, 'a'.repeat(64), { mode: 0o600 });
    await symlink(target, join(dir, 'linked.key'));
    const err = await rejection(ensureSecrets(dir, [{ name: 'linked', kind: 'hex-32' }]));
    expect(err.message).toContain('is not a regular file');
    expect(err.message).toContain(join(dir, 'linked.key'));
  });

  it.each(['Upper', '1abc', 'with-dash', '../escape', '', 'a'.repeat(64)])('refuses the secret name %j', async (name) => {
    const err = await rejection(ensureSecrets(dir, [{ name, kind: 'hex-32' }]));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain('Invalid secret name');
  });

  it('refuses the same name twice', async () => {
    const err = await rejection(ensureSecrets(dir, [JWT[0]!, { name: JWT[0]!.name, kind: 'hex-32' }]));
    expect(err.message).toContain('listed twice');
  });
});

describe('readSecret / removeSecrets', { timeout: 30_000 }, () => {
  it('reads a key as $(cat FILE) would (no trailing newline) and names a missing one', async () => {
    const [f] = await ensureSecrets(dir, [JWT[0]!]);
    const pem = await readFile(f!.path, 'utf8');
    expect(await readSecret(dir, JWT[0]!.name)).toBe(pem.replace(/\n+$/, ''));
    const err = await rejection(readSecret(dir, 'missing'));
    expect(err.message).toContain(join(dir, 'missing.key'));
  });

  it('removes the named secrets only, and skips names already gone', async () => {
    await ensureSecrets(dir, [...JWT.slice(0, 2), { name: 'keep', kind: 'password' }]);
    await removeSecrets(dir, [JWT[0]!.name, JWT[1]!.name, 'never_made']);
    expect(await readdir(dir)).toEqual(['keep.key']);
    const again = await ensureSecrets(dir, [JWT[0]!]);
    expect(again[0]!.created).toBe(true);
  });

  it('refuses to remove by an invalid name', async () => {
    await expect(removeSecrets(dir, ['../x'])).rejects.toBeInstanceOf(UsageError);
  });
});
