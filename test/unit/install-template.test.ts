import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandInstall, expandInstallShellWord, shellQuote, type InstallTemplateContext } from '../../src/main/install/plan/install-template';
import { usageError } from '../harness/thrown';

const SIGNING = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
const PW = 'Zx9_secret-VALUE-0123456789abcdef';

const ctx: InstallTemplateContext = {
  params: { gitlab_domain: 'gitlab.internal.example.com', auth: true, tp: '2' },
  secretFiles: { aigw_signing: '/srv/ferry/secrets/aigw_signing.key', db_password: "/srv/o'brien/db_password.key" },
  secretValues: { aigw_signing: SIGNING, db_password: PW },
  artifacts: {
    'ai-gateway': 'registry.internal.example.com/duo/ai-gateway:self-hosted-v18.10.0-ee',
    model: '/data/models/mistralai/Devstral-Small-2507',
  },
};

describe('expandInstall', () => {
  it('substitutes parameters, booleans and artifacts in both modes', () => {
    for (const mode of ['value', 'display'] as const) {
      expect(expandInstall('https://${gitlab_domain}/api/v4/', ctx, 'w', mode)).toBe('https://gitlab.internal.example.com/api/v4/');
      expect(expandInstall('${auth}', ctx, 'w', mode)).toBe('true');
      expect(expandInstall('${ artifact.ai-gateway }', ctx, 'w', mode)).toBe(ctx.artifacts['ai-gateway']);
      expect(expandInstall('${artifact.model}:/models:ro', ctx, 'w', mode)).toBe('/data/models/mistralai/Devstral-Small-2507:/models:ro');
      expect(expandInstall('no refs $HOME', ctx, 'w', mode)).toBe('no refs $HOME');
    }
  });

  it('gives secret values in value mode', () => {
    expect(expandInstall('${secret.aigw_signing}', ctx, 'w', 'value')).toBe(SIGNING);
    expect(expandInstall('postgres://u:${secret.db_password}@db/x', ctx, 'w', 'value')).toBe(`postgres://u:${PW}@db/x`);
  });

  it('shows secrets as $(cat FILE) in display mode and never their values', () => {
    expect(expandInstall('${secret.aigw_signing}', ctx, 'w', 'display')).toBe("$(cat '/srv/ferry/secrets/aigw_signing.key')");
    const shown = expandInstall('a=${secret.aigw_signing};b=${secret.db_password};${gitlab_domain}', ctx, 'w', 'display');
    expect(shown).toBe(`a=$(cat '/srv/ferry/secrets/aigw_signing.key');b=$(cat '/srv/o'\\''brien/db_password.key');gitlab.internal.example.com`);
    expect(shown).not.toContain(PW);
    expect(shown).not.toContain('BEGIN PRIVATE KEY');
    expect(shown).not.toContain('MIIE');
  });

  it('needs no secret values for display mode', () => {
    const { secretValues: _, ...noValues } = ctx;
    expect(expandInstall('${secret.db_password}', noValues, 'w', 'display')).toContain('db_password.key');
    const err = usageError(() => expandInstall('${secret.db_password}', noValues, 'install.containers[aigw].env.PW', 'value'));
    expect(err.message).toBe('install.containers[aigw].env.PW: secret "db_password" has not been read');
  });

  it.each([
    ['${gitlab_url}', 'install.containers[vllm].env.X: parameter "gitlab_url" has no value', 'Pass --set gitlab_url=VALUE.'],
    ['${constructor}', 'install.containers[vllm].env.X: parameter "constructor" has no value', 'Pass --set constructor=VALUE.'],
    ['${secret.nope}', 'install.containers[vllm].env.X: secret "nope" is not declared', 'install.secrets'],
    ['${artifact.nope}', 'install.containers[vllm].env.X: artifact "nope" is not in this install', '${artifact.ID}'],
    ['${param.x}', 'install.containers[vllm].env.X: "${param.x}" is not a known reference', '${secret.NAME}'],
    ['${Bad Name}', 'install.containers[vllm].env.X: "${Bad Name}" is not a valid reference', '${param}'],
  ])('%s → UsageError naming the field and the reference', (tpl, message, hint) => {
    for (const mode of ['value', 'display'] as const) {
      const err = usageError(() => expandInstall(tpl, ctx, 'install.containers[vllm].env.X', mode));
      expect(err.message).toContain(message);
      expect(err.hint).toContain(hint);
    }
  });
});

// The shell itself (sh -c 'printf %s WORD') checks the quoting: what the admin pastes is what the container gets.
function shellEcho(word: string, env: Record<string, string> = {}): string {
  return execFileSync('/bin/sh', ['-c', `printf %s ${word}`], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
}

describe('shellQuote', () => {
  it.each(['plain', '', "it's", 'a b', '$HOME', '`id`', '"x"', 'a\nb', "'", "''", 'x;rm -rf /', '\\', '5052:5052', '--env=A=b'])('%j survives the shell unchanged', (s) => {
    expect(shellEcho(shellQuote(s), { HOME: '/nowhere' })).toBe(s);
  });

  it('leaves safe words bare and quotes the rest', () => {
    expect(shellQuote('registry.internal.example.com/duo/ai-gateway:v1')).toBe('registry.internal.example.com/duo/ai-gateway:v1');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote('')).toBe("''");
  });
});

describe('expandInstallShellWord', () => {
  it('quotes literal parts and lets the shell read secret files', async () => {
    const dir = await mkdtemp(join(tmpdir(), "ferry tpl o'q-"));
    try {
      const file = join(dir, 'db_password.key');
      await writeFile(file, `${PW}\n`, { mode: 0o600 });
      const c: InstallTemplateContext = { ...ctx, params: { ...ctx.params, odd: "a b'$c" }, secretFiles: { db_password: file } };
      const word = expandInstallShellWord('u:${secret.db_password}@${odd}', c, 'w');
      expect(word).not.toContain(PW);
      expect(shellEcho(word)).toBe(`u:${PW}@a b'$c`);
      expect(expandInstallShellWord('https://${gitlab_domain}', c, 'w')).toBe('https://gitlab.internal.example.com');
      expect(expandInstallShellWord('${secret.db_password}', c, 'w')).toBe(`"$(cat '${file.replace(/'/g, `'\\''`)}')"`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
