import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustodyEvent } from '../../src/shared/api';
import type { InstallView } from '../../src/shared/api-install';
import { startDockerd, type TestDockerd } from '../harness/dockerd';
import { ferry } from '../harness/ferry-cli';
import { startKeeptrustsSources, type KeeptrustsSources } from '../harness/keeptrusts-bundle';
import { PG_MARKER } from '../harness/keeptrusts-standins';
import { startOutsideHost, type OutsideHost } from '../harness/netns';
import { startRegistry, type TestRegistry } from '../harness/registry';
import { requireTool } from '../harness/require-tool';
import { tempDir } from '../harness/temp';

// Issue 9's compose-stack acceptance: the Keeptrusts air-gapped recipe (seed 002), with stand-in
// images under its image names, bundled through mirrors and installed by the built CLI into a
// networked private dockerd from a TLS + auth internal registry: files placed and validated,
// Postgres healthy before the API starts, every service's health URL and a chat completion
// through the gateway to the model green, egress to a namespace "outside" blocked, all in
// custody. A policy-config.yaml that is not YAML stops at the files step. Then everything is
// undone and the exported docker-compose.yml brings the same stack up with docker-compose 1.29.
// Contacted: loopback, this file's containers and its own network namespace only.

const tmp = tempDir('ferry-compose-');
const AUTH = { username: 'ferry', password: 'kt-registry-pw' };
const H = join(tmp.path, 'offline');
const common = ['--data-dir', H, '--json'];
const HEALTH = ['http://127.0.0.1:8080/health', 'http://127.0.0.1:41002/health', 'http://127.0.0.1:3000/'];
const CONTAINERS = ['postgres', 'keeptrusts-api', 'keeptrusts-gateway', 'keeptrusts-console', 'keeptrusts-admin', 'local-llm'];
const VOLUME = 'ferry-keeptrusts-airgapped-pgdata';
const NETWORK = 'ferry-keeptrusts-airgapped';
let compose: string;
let sources: KeeptrustsSources;
let engine: TestDockerd;
let registry: TestRegistry;
let outside: OutsideHost;
let good = '';
let bad = '';
let installId = '';
let composeOut = '';

const env = (): NodeJS.ProcessEnv => ({ DOCKER_HOST: `unix://${engine.socketPath}` });
const installArgs = (bundle: string): string[] => [
  'install', bundle,
  '--registry', `${registry.host}/kt`, '--ca', registry.caFile!, '--username', AUTH.username, '--password-stdin',
  '--models-dir', join(tmp.path, 'models'), '--gpu', 'none',
  '--egress-outside', outside.target, '--egress-internal', 'http://keeptrusts-api:8080/health',
  '--health-timeout', '120', ...common,
];

async function http(url: string, init: { method?: 'GET' | 'POST'; body?: string } = {}): Promise<{ status: number; body: string }> {
  try {
    const res = await request(url, { method: init.method ?? 'GET', ...(init.body ? { body: init.body, headers: { 'content-type': 'application/json' } } : {}), headersTimeout: 5000, bodyTimeout: 5000 });
    return { status: res.statusCode, body: await res.body.text() };
  } catch (err) {
    return { status: 0, body: (err as Error).message };
  }
}

/** Polls until every URL answers 200 (a deadline, not a sleep for timing). */
async function untilGreen(urls: string[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await Promise.all(urls.map((u) => http(u)));
    if (got.every((g) => g.status === 200)) return;
    if (Date.now() > deadline) throw new Error(`not green: ${urls.map((u, i) => `${u} → ${got[i]!.status} ${got[i]!.body.slice(0, 100)}`).join('; ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const chat = (): Promise<{ status: number; body: string }> =>
  http('http://127.0.0.1:41002/v1/chat/completions', { method: 'POST', body: '{"model":"llama3.1","messages":[{"role":"user","content":"hello"}]}' });

async function custodyLog(): Promise<CustodyEvent[]> {
  const r = await ferry(['custody', 'log', ...common]);
  expect(r.code, r.stderr).toBe(0);
  return r.json<CustodyEvent[]>();
}

async function ferryContainers(): Promise<string[]> {
  return (await engine.docker.listContainers({ all: true })).map((c) => c.Names[0]!.replace(/^\//, '')).sort();
}

beforeAll(async () => {
  compose = requireTool('docker-compose', 'docker-compose');
  const cfg = join(tmp.path, 'config');
  mkdirSync(join(cfg, 'knowledge'), { recursive: true });
  mkdirSync(join(cfg, 'bad'), { recursive: true });
  writeFileSync(join(cfg, 'policy-config.yaml'), 'target:\n  provider: openai-compatible\n  url: http://local-llm:8000\n  model: llama3.1\nknowledge_base:\n  assets:\n    - name: company-policies\n      path: /etc/keeptrusts/knowledge/policies.md\n');
  writeFileSync(join(cfg, 'bad', 'policy-config.yaml'), 'target:\n  provider: openai-compatible\n  url: [http://local-llm:8000\npolicies:\n  - name: pii\n');
  writeFileSync(join(cfg, 'knowledge', 'policies.md'), '# Company policies\n');
  writeFileSync(join(cfg, 'knowledge', 'compliance.md'), '# Compliance guidelines\n');
  sources = await startKeeptrustsSources(tmp.path);
  const station = join(tmp.path, 'connected');
  good = join(tmp.path, 'bundle');
  bad = join(tmp.path, 'bundle-bad');
  await sources.bundle({ outDir: good, dataDir: station, policyConfig: join(cfg, 'policy-config.yaml'), knowledgeDir: join(cfg, 'knowledge') });
  await sources.bundle({ outDir: bad, dataDir: station, policyConfig: join(cfg, 'bad', 'policy-config.yaml'), knowledgeDir: join(cfg, 'knowledge') });
  await sources.close();
  [engine, registry] = await Promise.all([startDockerd({ networking: true }), startRegistry({ tls: true, auth: AUTH })]);
  outside = await startOutsideHost();
  outside.block();
}, 600_000);

afterAll(async () => {
  if (composeOut) await promisify(execFile)(compose, ['-p', 'ferry-keeptrusts-airgapped', '-f', join(composeOut, 'docker-compose.yml'), '--env-file', join(composeOut, '.env'), 'down'], { env: { ...process.env, ...env() } }).catch(() => undefined);
  outside?.stop();
  await Promise.allSettled([engine?.stop(), registry?.stop(), sources?.close()]);
  tmp.cleanup();
}, 120_000);

describe('Keeptrusts compose stack from a bundle', () => {
  it('refuses a policy-config.yaml that is not YAML at the files step, naming the file and line, before any container starts', async () => {
    const r = await ferry(installArgs(bad), { env: env(), input: `${AUTH.password}\n` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/step "files" failed: policy-config\.yaml \(artifact policy-config\) is not valid YAML: line \d+, column \d+/);
    expect(await ferryContainers()).toEqual([]);
  }, 300_000);

  it('installs the stack: files, keys, Postgres healthy before the API, health and chat checks, egress, all recorded', async () => {
    const r = await ferry(installArgs(good), { env: env(), input: `${AUTH.password}\n` });
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    const v = r.json<InstallView>();
    installId = v.installId;
    expect(v.steps.map((s) => [s.id, s.state])).toEqual([
      ['verify', 'done'], ['push', 'done'], ['models', 'done'], ['files', 'done'], ['preflight', 'skipped'], ['secrets', 'done'],
      ...CONTAINERS.map((c) => [`container:${c}`, 'done']), ['health', 'done'], ['verify-stack', 'done'], ['egress', 'done'], ['outputs', 'done'],
    ]);
    const api = v.steps.find((s) => s.id === 'container:keeptrusts-api')!;
    expect(api.result?.waitedFor).toEqual(['postgres']);
    expect(api.command).toMatch(/until docker exec ferry-postgres .*pg_isready -U keeptrusts/);
    // Started once, after Postgres answered: the API stand-in exits when it cannot connect.
    expect((await engine.docker.getContainer('ferry-keeptrusts-api').inspect()).RestartCount).toBe(0);
    for (const u of HEALTH) expect((await http(u)).status, u).toBe(200);
    const answer = await chat();
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('"choices"');
    expect(answer.body).toContain('hello from http://local-llm:8000');
    expect(v.steps.find((s) => s.id === 'verify-stack')!.log.join('\n')).toMatch(/chat: POST http:\/\/127\.0\.0\.1:41002\/v1\/chat\/completions → HTTP 200/);

    const placed = join(H, 'installs', installId, 'files', 'policy-config', 'policy-config.yaml');
    expect(readFileSync(placed, 'utf8')).toContain('url: http://local-llm:8000');
    const net = await engine.docker.getNetwork(NETWORK).inspect();
    expect(Object.keys(net.Containers ?? {})).toHaveLength(CONTAINERS.length);
    expect((await engine.docker.getVolume(VOLUME).inspect()).Labels).toMatchObject({ 'io.ferry.install': installId, 'io.ferry.volume': 'pgdata' });

    const egress = v.steps.find((s) => s.id === 'egress')!.result as { ok: boolean; results: { container: string; target: string; outcome: string }[] };
    expect(egress.ok).toBe(true);
    expect(egress.results.filter((x) => x.target === outside.target).map((x) => x.outcome)).toEqual(CONTAINERS.map(() => 'unreachable'));
    expect(egress.results.filter((x) => x.target.includes('keeptrusts-api')).map((x) => x.outcome)).toEqual(CONTAINERS.map(() => 'reachable'));

    const events = (await custodyLog()).filter((e) => e.details.installId === installId);
    const steps = events.filter((e) => e.type === 'install.step').map((e) => `${String(e.details.step)}:${String(e.details.state)}`);
    expect(steps).toEqual(v.steps.map((s) => `${s.id}:${s.state}`));
    expect(events.some((e) => e.type === 'egress.checked' && e.details.ok === true)).toBe(true);
    const health = events.find((e) => e.details.step === 'health')!;
    expect(JSON.stringify(health.details)).toContain('pg_isready');
    // The generated secrets reach the containers but never the custody log or the install record.
    const secrets = ['db_password', 'jwt_secret', 'encryption_key'].map((n) => readFileSync(join(H, 'installs', installId, 'secrets', `${n}.key`), 'utf8').trim());
    const all = JSON.stringify(await custodyLog()) + JSON.stringify(v);
    for (const s of secrets) expect(all).not.toContain(s);
    expect((await engine.docker.getContainer('ferry-keeptrusts-api').inspect()).Config.Env).toContain(`KEEPTRUSTS_JWT_SECRET=${secrets[1]}`);
  }, 300_000);

  it('undoes every container; the network goes, the Postgres volume (data) stays', async () => {
    for (const c of [...CONTAINERS].reverse()) {
      const r = await ferry(['install', '--resume', installId, '--undo', `container:${c}`, ...common], { env: env() });
      expect(r.code, r.stderr).toBe(0);
    }
    expect(await ferryContainers()).toEqual([]);
    expect(await engine.docker.getNetwork(NETWORK).inspect().catch(() => undefined)).toBeUndefined();
    expect((await engine.docker.getVolume(VOLUME).inspect()).Name).toBe(VOLUME);
  }, 300_000);

  it('export-compose writes docker-compose.yml and .env (0600), and docker-compose brings the same stack up healthy', async () => {
    composeOut = join(tmp.path, 'compose');
    const r = await ferry(['install', 'export-compose', installId, '--out', composeOut, ...common]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ command: string; composeFile: string; envFile: string }>();
    expect(out.command).toContain('docker-compose -p ferry-keeptrusts-airgapped -f');
    expect(statSync(out.envFile).mode & 0o777).toBe(0o600);
    const yml = readFileSync(out.composeFile, 'utf8');
    const dotenv = readFileSync(out.envFile, 'utf8');
    const pw = readFileSync(join(H, 'installs', installId, 'secrets', 'db_password.key'), 'utf8').trim();
    expect(dotenv).toContain(`DB_PASSWORD=${pw}`);
    expect(yml).not.toContain(pw);
    expect(yml).toContain('DATABASE_URL: postgres://keeptrusts:${DB_PASSWORD}@postgres:5432/keeptrusts');
    expect(yml).toMatch(/depends_on:\n\s+postgres:\n\s+condition: service_healthy/);
    expect(yml).toContain(`image: ${registry.host}/kt/api:2.5.0`);

    const up = await promisify(execFile)(compose, ['-p', 'ferry-keeptrusts-airgapped', '-f', out.composeFile, '--env-file', out.envFile, 'up', '-d'], { env: { ...process.env, ...env() } }).catch(
      (err: { stderr?: string; message: string }) => ({ stdout: '', stderr: `FAILED: ${err.stderr || err.message}` }),
    );
    expect(up.stderr).not.toMatch(/^FAILED/);
    await untilGreen(HEALTH, 120_000);
    expect((await chat()).body).toContain('"choices"');
    expect(await ferryContainers()).toEqual(CONTAINERS.map((c) => `ferry-${c}`).sort());
    // Same data: the Postgres stand-in found the marker it wrote under Ferry in the named volume.
    const logs = (await engine.docker.getContainer('ferry-postgres').logs({ stdout: true, stderr: true })).toString();
    expect(logs).toContain('existing data');
    expect(PG_MARKER).toBeTruthy();
  }, 300_000);

  it('--undo --remove-volumes removes the named volume once no container uses it', async () => {
    await promisify(execFile)(compose, ['-p', 'ferry-keeptrusts-airgapped', '-f', join(composeOut, 'docker-compose.yml'), '--env-file', join(composeOut, '.env'), 'down'], { env: { ...process.env, ...env() } });
    composeOut = '';
    const r = await ferry(['install', '--resume', installId, '--undo', 'container:postgres', '--remove-volumes', ...common], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<InstallView>().steps.find((s) => s.id === 'container:postgres')?.result?.volumesRemoved).toEqual([VOLUME]);
    expect(await engine.docker.getVolume(VOLUME).inspect().catch(() => undefined)).toBeUndefined();
  }, 300_000);
});
