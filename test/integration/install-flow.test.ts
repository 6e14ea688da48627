import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustodyEvent } from '../../src/shared/api';
import type { InstallView } from '../../src/shared/api-install';
import type { BundleManifest, ImageArtifact } from '../../src/main/bundle/manifest-schema';
import { walk } from '../../src/main/bundle/walk';
import { startDockerd, type TestDockerd } from '../harness/dockerd';
import { DUO_SERVED_NAME, makeDuoBundle, type DuoBundle } from '../harness/duo-bundle';
import { ferry } from '../harness/ferry-cli';
import { createLoopVolume, type LoopVolume } from '../harness/loop-media';
import { startOutsideHost, type OutsideHost } from '../harness/netns';
import { startRegistry, type TestRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';

// Issue 8's acceptance: from the GitLab Duo stand-in bundle on a loop-device volume to a running
// stand-in stack — every health check green, the GitLab values shown, each step in the custody
// log — through the built CLI, against a real networked dockerd, a TLS + auth internal registry
// and an "outside" host in its own network namespace behind the air-gap firewall. A volume with
// one flipped byte is refused at verify before anything reaches the registry.
// Contacted: loopback, this file's containers and its own network namespace only.

const tmp = tempDir('ferry-install-');
const AUTH = { username: 'ferry', password: 'internal-registry-pw' };
const H = join(tmp.path, 'offline');
/** The networked test engine's bridge (test/harness/dockerd.ts): the host as the containers see it. */
const BRIDGE_HOST = '10.213.0.1';
let duo: DuoBundle;
let engine: TestDockerd;
let registry: TestRegistry;
let outside: OutsideHost;
let vol: LoopVolume;
let manifest: BundleManifest;
let installId = '';

const env = (): NodeJS.ProcessEnv => ({ DOCKER_HOST: `unix://${engine.socketPath}` });
const installArgs = (): string[] => [
  'install', vol.mountPoint,
  '--registry', `${registry.host}/duo`, '--ca', registry.caFile!, '--username', AUTH.username, '--password-stdin',
  '--models-dir', join(tmp.path, 'models'), '--gpu', 'none',
  '--set', 'gitlab_domain=gitlab.test', '--set', 'ai_gateway_host=127.0.0.1', // internal_registry: from --registry
  '--egress-outside', outside.target, '--egress-internal', `http://${BRIDGE_HOST}:5052/monitoring/healthz`,
  '--health-timeout', '120', '--data-dir', H, '--json',
];
const common = ['--data-dir', H, '--json'];

/** GET on the internal registry (TLS with its CA, basic auth). */
async function registryGet(path: string, accept = 'application/vnd.oci.image.manifest.v1+json'): Promise<{ status: number; digest?: string; body: string }> {
  const dispatcher = new Agent({ connect: { ca: readFileSync(registry.caFile!) } });
  try {
    const res = await request(`https://${registry.host}${path}`, {
      dispatcher,
      headers: { authorization: `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64')}`, accept },
    });
    const body = await res.body.text();
    const digest = res.headers['docker-content-digest'];
    return { status: res.statusCode, body, ...(typeof digest === 'string' ? { digest } : {}) };
  } finally {
    await dispatcher.close();
  }
}

async function custodyLog(): Promise<CustodyEvent[]> {
  const r = await ferry(['custody', 'log', ...common]);
  expect(r.code, r.stderr).toBe(0);
  return r.json<CustodyEvent[]>();
}

async function inspect(name: string): Promise<{ Running: boolean } | undefined> {
  const info = await engine.docker
    .getContainer(name)
    .inspect()
    .catch(() => undefined);
  return info?.State;
}

/** A file of the bundle on the volume (a model weight): flipping one of its bytes must stop the install. */
async function weightOnVolume(): Promise<string> {
  const f = (await walk(vol.mountPoint)).find((e) => e.kind === 'file' && e.path.endsWith('model.safetensors'));
  expect(f, 'model.safetensors on the volume').toBeDefined();
  return f!.path;
}

function flipByte(file: string, at: number): void {
  const b = readFileSync(file);
  b[at] = b[at]! ^ 0xff;
  writeFileSync(file, b);
}

beforeAll(async () => {
  duo = await makeDuoBundle(join(tmp.path, 'duo'));
  manifest = JSON.parse(readFileSync(join(duo.bundleDir, 'manifest.json'), 'utf8')) as BundleManifest;
  [engine, registry, vol] = await Promise.all([startDockerd({ networking: true }), startRegistry({ tls: true, auth: AUTH }), createLoopVolume(256 << 20)]);
  outside = await startOutsideHost();
  outside.block();
  const w = await ferry(['media', 'write', duo.bundleDir, '--no-kit', '--to', vol.mountPoint, '--unapproved-reason', 'test fixture, not reviewed', '--data-dir', duo.dataDir, '--json']);
  expect(w.code, w.stderr).toBe(0);
}, 600_000);

afterAll(async () => {
  outside?.stop();
  await Promise.allSettled([engine?.stop(), registry?.stop(), vol?.stop(), duo?.close()]);
  tmp.cleanup();
}, 120_000);

describe('ferry install from a loop-device volume', () => {
  it('refuses a tampered volume at verify, naming the file, before anything is pushed', async () => {
    const rel = await weightOnVolume();
    const file = join(vol.mountPoint, rel);
    flipByte(file, 100);
    try {
      const r = await ferry(installArgs(), { env: env(), input: `${AUTH.password}\n` });
      expect(r.code, r.stderr).toBe(1);
      const err = JSON.parse(r.stdout.trim().split('\n').pop()!) as { error: { message: string } };
      expect(err.error.message).toMatch(/step "verify" failed/);
      expect(err.error.message).toContain(rel);
      const catalog = await registryGet('/v2/_catalog', 'application/json');
      expect(catalog.status).toBe(200);
      expect(JSON.parse(catalog.body)).toEqual({ repositories: [] });
      expect(await inspect('ferry-ai-gateway')).toBeUndefined();
    } finally {
      flipByte(file, 100);
    }
  });

  it('installs the stand-in stack: every step done, containers running, images pushed with the bundle digests', async () => {
    const r = await ferry(installArgs(), { env: env(), input: `${AUTH.password}\n` });
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    const v = r.json<InstallView>();
    installId = v.installId;
    expect(v.steps.map((s) => [s.id, s.state])).toEqual([
      ['verify', 'done'], ['push', 'done'], ['models', 'done'], ['preflight', 'skipped'], ['secrets', 'done'],
      ['container:ai-gateway', 'done'], ['container:vllm', 'done'], ['health', 'done'], ['egress', 'done'], ['outputs', 'done'], ['agent-config', 'done'],
    ]);
    expect(v.steps.find((s) => s.id === 'preflight')?.result?.reason).toMatch(/--gpu none/);
    expect(v.needsPassword).toBe(false);
    expect(JSON.stringify(v)).not.toContain(AUTH.password);
    expect((await inspect('ferry-ai-gateway'))?.Running).toBe(true);
    expect((await inspect('ferry-vllm'))?.Running).toBe(true);

    const images = manifest.artifacts.filter((a): a is ImageArtifact => a.kind === 'image');
    expect(images.map((i) => i.target).sort()).toEqual(['ai-gateway', 'duo-executor', 'vllm-openai', 'workflow-generic-image']);
    for (const img of images) {
      const got = await registryGet(`/v2/duo/${img.target}/manifests/${img.tag}`, img.mediaType);
      expect(got.status, `${img.target}:${img.tag}`).toBe(200);
      expect(got.digest).toBe(img.digest);
    }
    // The running containers came from the internal registry, at the bundle's digests.
    const gw = await engine.docker.getContainer('ferry-ai-gateway').inspect();
    expect(gw.Config.Image).toBe(`${registry.host}/duo/ai-gateway:self-hosted-v18.10.0-ee`);

    const health = v.steps.find((s) => s.id === 'health')!;
    expect(health.log.join('\n')).toMatch(/vllm: GET http:\/\/127\.0\.0\.1:8000\/v1\/models ok/);
    const egress = v.steps.find((s) => s.id === 'egress')!.result as { ok: boolean; results: { target: string; expect: string; outcome: string }[] };
    expect(egress.ok).toBe(true);
    expect(egress.results.filter((x) => x.target === outside.target).map((x) => x.outcome)).toEqual(['unreachable', 'unreachable']);
  });

  it('shows the GitLab values and writes agent-config.yml naming the internal duo-executor image', async () => {
    const v = (await ferry(['install', 'show', installId, ...common])).json<InstallView>();
    const values = Object.fromEntries(v.outputs.map((o) => [o.label, o.value]));
    expect(values['Admin > GitLab Duo > Local AI Gateway URL']).toBe('http://127.0.0.1:5052');
    expect(values['Admin > GitLab Duo > Local URL for the GitLab Duo Agent Platform service']).toBe('127.0.0.1:50052');
    expect(values['Self-hosted model endpoint']).toBe('http://127.0.0.1:8000/v1');
    expect(values['Self-hosted model identifier']).toBe(DUO_SERVED_NAME);
    expect(values['Admin > GitLab Duo > Image registry']).toBe(`${registry.host}/duo`); // defaulted from --registry
    const agent = v.steps.find((s) => s.id === 'agent-config')!.result as { path: string; yaml: string; checklist: { text: string }[] };
    const yaml = readFileSync(agent.path, 'utf8');
    expect(yaml).toBe(agent.yaml);
    expect(yaml).toContain(`image: ${registry.host}/duo/duo-executor:v0.0.6`);
    expect(agent.checklist.map((c) => c.text).join('\n')).toContain('gitlab--duo');
    const human = await ferry(['install', 'show', installId, '--data-dir', H]);
    expect(human.stdout).toContain('Admin > GitLab Duo > Local AI Gateway URL: http://127.0.0.1:5052');
  });

  it('records each step in the custody log, and the chain verifies', async () => {
    const events = await custodyLog();
    // From this install's receipt on: its own events, and the media verification it triggered.
    const from = events.findIndex((e) => e.type === 'received' && e.details.installId === installId);
    const mine = events.slice(from).filter((e) => e.details.installId === installId || (e.type === 'verified' && e.bundleId === manifest.bundleId));
    const types = mine.map((e) => e.type);
    for (const t of ['received', 'verified', 'imported', 'install.step', 'egress.checked', 'install.outputs']) expect(types, t).toContain(t);
    expect(mine.find((e) => e.type === 'received')?.details.volumes).toEqual([expect.objectContaining({ volumeId: expect.any(String), volume: '1 of 1' })]);
    const steps = mine.filter((e) => e.type === 'install.step').map((e) => `${String(e.details.step)}:${String(e.details.state)}`);
    expect(steps).toEqual(['verify:done', 'push:done', 'models:done', 'preflight:skipped', 'secrets:done', 'container:ai-gateway:done', 'container:vllm:done', 'health:done', 'egress:done', 'outputs:done', 'agent-config:done']);
    const secrets = mine.find((e) => e.details.step === 'secrets')!;
    expect(JSON.stringify(secrets.details)).toMatch(/SHA256:/);
    expect(JSON.stringify(events)).not.toMatch(/BEGIN PRIVATE KEY|internal-registry-pw/);
    expect((await ferry(['custody', 'verify', ...common])).code).toBe(0);
  });

  it('resuming a finished install is a no-op success', async () => {
    const before = (await custodyLog()).length;
    const r = await ferry(['install', '--resume', installId, ...common], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<InstallView>().steps.every((s) => s.state === 'done' || s.state === 'skipped')).toBe(true);
    expect((await custodyLog()).length).toBe(before);
  });

  it('--undo container:vllm stops and removes it', async () => {
    const r = await ferry(['install', '--resume', installId, '--undo', 'container:vllm', ...common], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const states = Object.fromEntries(r.json<InstallView>().steps.map((s) => [s.id, s.state]));
    // The checks that used vllm are to be run again; what came before and does not use it stays done.
    expect(states).toMatchObject({ 'container:ai-gateway': 'done', 'container:vllm': 'undone', health: 'pending', egress: 'pending', outputs: 'done' });
    const list = (await ferry(['install', 'list', ...common])).json<InstallView[]>().find((v) => v.installId === installId)!;
    expect(list.steps.find((s) => s.id === 'health')!.log.at(-1)).toMatch(/^To run again: container:vllm was undone/);
    expect(await inspect('ferry-vllm')).toBeUndefined();
    expect((await inspect('ferry-ai-gateway'))?.Running).toBe(true);
  });

  it('resuming after the undo needs the registry password again, then brings vllm back and checks it again', async () => {
    const refused = await ferry(['install', '--resume', installId, ...common], { env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/step "container:vllm" failed: The password for ferry at 127\.0\.0\.1:\d+ is needed again/);
    const r = await ferry(['install', '--resume', installId, '--password-stdin', ...common], { env: env(), input: `${AUTH.password}\n` });
    expect(r.code, r.stderr).toBe(0);
    const v = r.json<InstallView>();
    expect(v.steps.filter((s) => s.state !== 'done' && s.state !== 'skipped')).toEqual([]);
    expect((await inspect('ferry-vllm'))?.Running).toBe(true);
    // The steps after it ran again: health and egress are checked with vllm back.
    const steps = (await custodyLog()).filter((e) => e.type === 'install.step' && e.details.installId === installId).map((e) => `${String(e.details.step)}:${String(e.details.state)}`);
    expect(steps.slice(-7)).toEqual(['container:vllm:undone', 'container:vllm:failed', 'container:vllm:done', 'health:done', 'egress:done', 'outputs:done', 'agent-config:done']);
  });

  it('on this GPU-less host, --gpu require stops at the preflight with the plain reason, before any container', async () => {
    const args = installArgs().filter((a, i, all) => a !== '--gpu' && all[i - 1] !== '--gpu');
    const r = await ferry(args, { env: env(), input: `${AUTH.password}\n` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/step "preflight" failed: No NVIDIA GPU found/);
    expect(r.stderr).toMatch(/NVIDIA Container Toolkit/);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });
});
