import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decide, hasPolicy, makeRule, parseCosignKey, parseStationPolicy, type SignaturePolicy } from '../../src/main/signatures/policy';
import { tempDir } from '../harness/temp';

const tmp = tempDir('ferry-sigpol-');
afterAll(() => tmp.cleanup());

/** A P-256 public key made by openssl itself, as `cosign generate-key-pair` users would have. */
function opensslKey(name: string): string {
  const priv = join(tmp.path, `${name}.key`);
  const pub = join(tmp.path, `${name}.pub`);
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', priv]);
  execFileSync('openssl', ['ec', '-in', priv, '-pubout', '-out', pub], { stdio: 'ignore' });
  return readFileSync(pub, 'utf8');
}

describe('signature policy', () => {
  const keyA = opensslKey('a');
  const keyB = opensslKey('b');
  const policy = (p: Partial<SignaturePolicy>): SignaturePolicy => ({ station: [], recipe: [], unmatched: 'refuse', ...p });

  it('takes the longest matching prefix, on whole path components only', () => {
    const p = policy({ station: [makeRule({ match: 'registry.example.com', require: 'none' }, 't'), makeRule({ match: 'registry.example.com/org', require: 'cosign-key', publicKey: keyA }, 't')] });
    expect(decide(p, 'registry.example.com', 'org/app').require).toBe('cosign-key');
    expect(decide(p, 'registry.example.com', 'org').require).toBe('cosign-key');
    expect(decide(p, 'registry.example.com', 'organisation/app').require).toBe('none');
    expect(decide(p, 'other.example.com', 'org/app')).toEqual({ require: 'refuse', policy: 'station default for unmatched images (refuse)' });
  });

  it('lets station rules decide before recipe rules, and the recipe only where no station rule matches', () => {
    const p = policy({
      station: [makeRule({ match: 'ghcr.io/acme', require: 'cosign-key', publicKey: keyA }, 's')],
      recipe: [makeRule({ match: 'ghcr.io/acme/app', require: 'none' }, 'r'), makeRule({ match: 'docker.io', require: 'cosign-key', publicKey: keyB }, 'r')],
    });
    const d = decide(p, 'ghcr.io', 'acme/app');
    expect(d.require).toBe('cosign-key');
    expect(d.policy).toBe('station rule ghcr.io/acme: cosign-key');
    expect(decide(p, 'docker.io', 'library/busybox').policy).toBe('recipe rule docker.io: cosign-key');
  });

  it('is no policy at all without rules; the unmatched default can be none', () => {
    expect(hasPolicy(policy({}))).toBe(false);
    const p = policy({ recipe: [makeRule({ match: 'quay.io', require: 'none' }, 'r')], unmatched: 'none' });
    expect(hasPolicy(p)).toBe(true);
    expect(decide(p, 'ghcr.io', 'x').require).toBe('none');
  });

  it('stores a cosign key with the sha256 fingerprint of its DER and refuses other key types', () => {
    const r = makeRule({ match: 'Registry.Example.com/Org/', require: 'cosign-key', publicKey: keyA }, 'here');
    expect(r).toMatchObject({ match: 'registry.example.com/org', require: 'cosign-key' });
    const der = execFileSync('openssl', ['pkey', '-pubin', '-in', join(tmp.path, 'a.pub'), '-outform', 'DER']);
    expect(r.require === 'cosign-key' && r.keyFingerprint).toBe(execFileSync('sha256sum', { input: der, encoding: 'utf8' }).split(' ')[0]);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => parseCosignKey(rsa, 'key.pub')).toThrow(/key\.pub: the key is rsa, not ECDSA P-256/);
    expect(() => parseCosignKey('not a key', 'key.pub')).toThrow(/key\.pub: not a PEM public key/);
    expect(() => makeRule({ match: 'https://x', require: 'none' }, 'rule 1')).toThrow(/rule 1: match "https:\/\/x"/);
    expect(() => makeRule({ match: 'ghcr.io', require: 'sigstore', identity: 'a@b' }, 'rule 2')).toThrow(/rule 2: a sigstore rule needs identity, issuer and trustedRoot/);
  });

  it('refuses a damaged stored policy instead of treating it as none', () => {
    expect(parseStationPolicy(undefined)).toEqual({ rules: [] });
    expect(() => parseStationPolicy('{')).toThrow(/not JSON/);
    expect(() => parseStationPolicy('{"rules":[{"match":"x","require":"maybe"}]}')).toThrow(/invalid at rules\.0/);
  });
});
