import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createdByOf, signCreation } from '../../src/main/bundle/creation';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import { openDatabase } from '../../src/main/db/database';
import { IdentityStore } from '../../src/main/identity/identity-store';
import { ferry } from '../harness/ferry-cli';
import { requireTool } from '../harness/require-tool';
import { tempDir } from '../harness/temp';

// The approval of a real bundle (built CLI: `ferry review --approve`, `ferry identity export-public`)
// checked with nothing but the shell script in docs/review-and-custody.md, taken from the doc itself
// so the doc cannot drift: openssl, sha256sum, base64, sed.
const PASS = 'correct horse battery staple';
const tmp = tempDir('ferry-dsse-openssl-');
afterAll(() => tmp.cleanup());
const L = join(tmp.path, 'low');
const bundle = join(tmp.path, 'bundle');
const script = join(tmp.path, 'check-approval.sh');
const at = ['--data-dir', L, '--json'];
const signed = { input: `${PASS}\n` };
let envelope = '';

async function ok(args: string[], opts: { input?: string } = {}) {
  const r = await ferry(args, opts);
  expect(r.code, `ferry ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

/** The one ```sh block of the section "Verifying approvals without Ferry". */
function docScript(): string {
  const doc = readFileSync(resolve(__dirname, '../../docs/review-and-custody.md'), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('Verifying approvals without Ferry\n'));
  const block = section?.match(/^```sh\n([\s\S]*?)^```$/m)?.[1];
  if (!block) throw new Error('docs/review-and-custody.md has no ```sh block under "## Verifying approvals without Ferry"');
  return block;
}

const check = (b: string, env: string, key: string) => spawnSync('sh', [script, b, env, key], { cwd: tmp.path, encoding: 'utf8' });

beforeAll(async () => {
  for (const [cmd, pkg] of [['openssl', 'openssl'], ['sha256sum', 'coreutils'], ['base64', 'coreutils'], ['sed', 'sed']]) requireTool(cmd!, pkg!);
  writeFileSync(script, docScript());
  for (const [name, role] of [['olga', 'operator'], ['rita', 'reviewer']]) await ok(['identity', 'create', '--name', name!, '--role', role!, '--passphrase-stdin', ...at], signed);
  const db = openDatabase(join(L, 'ferry.db'));
  const olga = new IdentityStore(db).unlock('olga', PASS);
  db.close();
  mkdirSync(join(bundle, 'models/org--m'), { recursive: true });
  const data = Buffer.alloc(4096, 7);
  writeFileSync(join(bundle, 'models/org--m/model.safetensors'), data);
  const file = { path: 'model.safetensors', size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  const m: BundleManifest = {
    format: BUNDLE_FORMAT, bundleId: '3c0e6f4a-1d2b-4c5e-8f9a-0b1c2d3e4f50', createdAt: '2026-11-23T06:00:00.000+00:00', createdBy: createdByOf(olga, 'transfer-1'), tool: { name: 'ferry', version: '0.1.0' },
    artifacts: [{ kind: 'model', name: 'org/m', source: 'http://127.0.0.1/org/m', hubUrl: 'http://127.0.0.1', repo: 'org/m', requestedRevision: 'main', revision: 'e'.repeat(40), dir: 'models/org--m', size: data.length, files: [file] }],
    files: [{ ...file, path: `models/org--m/${file.path}` }],
  };
  await writeManifest(bundle, signCreation(m, olga));
  await ok(['review', bundle, '--approve', '--reason', 'digests match change 1234', '--as', 'rita', '--passphrase-stdin', ...at], signed);
  for (const name of ['rita', 'olga']) await ok(['identity', 'export-public', name, '--out', join(tmp.path, `${name}.pub`), ...at]);
  envelope = join(bundle, 'approvals', readdirSync(join(bundle, 'approvals')).find((n) => n.endsWith('.intoto.json'))!);
}, 120_000);

describe('an approval checked with openssl and sha256sum alone (the commands of docs/review-and-custody.md)', () => {
  it('verifies the approval envelope and the custody head envelope of an approved bundle', () => {
    const r = check(bundle, envelope, join(tmp.path, 'rita.pub'));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Signature Verified Successfully');
    expect(r.stdout).toContain(`${bundle}/manifest.json: OK`);
    expect(r.stdout).toMatch(/^verified: .*\.intoto\.json, signed by [a-f0-9]{64}, about manifest\.json sha256 [a-f0-9]{64}$/m);
    const head = check(bundle, join(bundle, 'custody/head.intoto.json'), join(tmp.path, 'rita.pub'));
    expect(head.status, head.stdout + head.stderr).toBe(0);
  });

  it('fails after one byte of manifest.json changes: the signature still verifies, the sha256 comparison does not', () => {
    const copy = join(tmp.path, 'changed');
    cpSync(bundle, copy, { recursive: true });
    const manifest = join(copy, 'manifest.json');
    const before = readFileSync(manifest);
    const after = Buffer.from(before.toString('utf8').replace('2026-11-23T06:00', '2026-11-23T07:00'));
    expect(after.length).toBe(before.length);
    expect(after.filter((b, i) => b !== before[i]).length).toBe(1);
    writeFileSync(manifest, after);
    const r = check(copy, join(copy, 'approvals', envelope.split('/').at(-1)!), join(tmp.path, 'rita.pub'));
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain('Signature Verified Successfully');
    expect(r.stdout).toContain(`${copy}/manifest.json: FAILED`);
    expect(r.stdout).not.toContain('verified:');
  });

  it('fails for another signer\'s key and for an altered payload', () => {
    const other = check(bundle, envelope, join(tmp.path, 'olga.pub'));
    expect(other.status).not.toBe(0);
    expect(other.stdout).toMatch(/^signed by key [a-f0-9]{64}, not by .*olga\.pub/m);
    const env = JSON.parse(readFileSync(envelope, 'utf8')) as { payload: string };
    const payload = Buffer.from(env.payload, 'base64').toString('utf8').replace('digests match', 'digests matck');
    const altered = join(tmp.path, 'altered.intoto.json');
    writeFileSync(altered, readFileSync(envelope, 'utf8').replace(env.payload, Buffer.from(payload).toString('base64')));
    const r = check(bundle, altered, join(tmp.path, 'rita.pub'));
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/Signature Verification Failure/);
  });
});
