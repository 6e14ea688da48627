import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstallView } from '../../src/shared/api-install';
import { podmanTakesCdiThroughApi } from '../../src/main/install/engine/gpu-request';
import { ferry } from '../harness/ferry-cli';
import { startPodman, type TestPodman } from '../harness/podman';
import { requireTool } from '../harness/require-tool';
import { tempDir } from '../harness/temp';
import { makeVllmBundle } from '../harness/vllm-bundle';

// Issue 17: Podman as a first-class engine. The plain vLLM-model bundle (stand-in image, tiny
// model) installed by the built CLI against a real `podman system service` on a private socket:
// images loaded through Podman's Docker-compatible API, the network, the container with the
// model folder mounted, health from the host, the egress probes exec'd inside it, undo. Then the
// exported docker-compose.yml run with Debian's podman-compose against the same service. Without
// an engine the install stops before step 1; with --gpu require the preflight states the GPU
// request this Podman version takes. Contacted: loopback and this file's containers only.

const tmp = tempDir('ferry-podman-install-');
const H = join(tmp.path, 'offline');
const MODELS = join(tmp.path, 'models');
const common = ['--data-dir', H, '--json'];
let pm: TestPodman;
let bundleDir = '';
let installId = '';
let podmanVersion = '';

const installArgs = (dockerHost: string, gpu: 'none' | 'require' = 'none'): string[] => [
  'install', bundleDir, '--models-dir', MODELS, '--gpu', gpu,
  '--egress-outside', '127.0.0.1:9', '--egress-internal', 'http://127.0.0.1:8000/v1/models',
  '--health-timeout', '60', '--docker-host', dockerHost, ...common,
];

async function modelsEndpoint(): Promise<{ status: number; body: string }> {
  try {
    const res = await request('http://127.0.0.1:8000/v1/models', { headersTimeout: 5000, bodyTimeout: 5000 });
    return { status: res.statusCode, body: await res.body.text() };
  } catch (err) {
    return { status: 0, body: (err as Error).message };
  }
}

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await fn();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs / 1000} s (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 200));
    last = await fn();
  }
  return last;
}

beforeAll(async () => {
  mkdirSync(MODELS);
  let made: { bundleDir: string };
  [pm, made] = await Promise.all([startPodman(), makeVllmBundle(join(tmp.path, 'vllm'))]);
  bundleDir = made.bundleDir;
  podmanVersion = (await pm.podman(['version', '--format', '{{.Server.Version}}'])).trim();
}, 300_000);

afterAll(async () => {
  await pm?.stop();
  tmp.cleanup();
}, 120_000);

describe('ferry install against Podman', () => {
  it('with no engine at the socket, stops before step 1 and says how to start one', async () => {
    const missing = join(tmp.path, 'no-engine.sock');
    const r = await ferry([...installArgs(`unix://${missing}`), '--data-dir', join(tmp.path, 'no-engine')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`No container engine reachable at ${missing}: the socket ${missing} does not exist`);
    expect(r.stderr).toContain('systemctl start podman.socket, then DOCKER_HOST=unix:///run/podman/podman.sock');
    expect(r.stderr).not.toMatch(/internal registry/);
    const list = await ferry(['install', 'list', '--data-dir', join(tmp.path, 'no-engine'), '--json']);
    const installs = list.json<InstallView[]>();
    expect(installs.flatMap((i) => i.steps.map((s) => s.state))).toEqual(installs.flatMap((i) => i.steps.map(() => 'pending')));
    expect(installs.length).toBeGreaterThan(0);
  });

  it('installs the vLLM-model recipe: images loaded, network, container, health and egress on Podman', async () => {
    const r = await ferry(installArgs(pm.dockerHost));
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    const v = r.json<InstallView>();
    installId = v.installId;
    expect(v.steps.map((s) => [s.id, s.state])).toEqual([
      ['verify', 'done'], ['push', 'done'], ['models', 'done'], ['preflight', 'skipped'], ['container:vllm', 'done'], ['health', 'done'], ['egress', 'done'], ['outputs', 'done'],
    ]);
    // The container runs on Podman from the image the push step loaded there.
    const info = await pm.docker.getContainer('ferry-vllm').inspect();
    expect(info.State.Running).toBe(true);
    expect(info.Config.Labels?.['io.ferry.install']).toBe(installId);
    const image = await pm.docker.getImage(info.Config.Image).inspect();
    expect(image.Id.replace(/^sha256:/, '')).toBe(info.Image.replace(/^sha256:/, ''));
    expect(info.Mounts.some((m) => m.Destination === '/model' && m.Source.startsWith(MODELS))).toBe(true);
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual(['ferry-vllm-model']);
    const net = (await pm.docker.getNetwork('ferry-vllm-model').inspect()) as { Labels?: Record<string, string> };
    expect(net.Labels?.['io.ferry.install']).toBe(installId);
    // Health from the host through the published port; egress probed inside the container.
    const models = await modelsEndpoint();
    expect(models.status).toBe(200);
    expect(JSON.parse(models.body)).toMatchObject({ data: [{ id: 'model' }] });
    expect(v.steps.find((s) => s.id === 'health')!.log.join('\n')).toMatch(/vllm: GET http:\/\/127\.0\.0\.1:8000\/v1\/models ok/);
    const egress = v.steps.find((s) => s.id === 'egress')!.result as { ok: boolean; results: { target: string; outcome: string }[] };
    expect(egress.ok).toBe(true);
    expect(egress.results.map((x) => [x.target, x.outcome])).toEqual([['127.0.0.1:9', 'unreachable'], ['http://127.0.0.1:8000/v1/models', 'reachable']]);
  });

  it('--undo container:vllm removes the container and its network from Podman', async () => {
    const r = await ferry(['install', '--resume', installId, '--undo', 'container:vllm', ...common], { env: { DOCKER_HOST: pm.dockerHost } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<InstallView>().steps.find((s) => s.id === 'container:vllm')?.state).toBe('undone');
    expect(await pm.docker.getContainer('ferry-vllm').inspect().catch((e: { statusCode?: number }) => e.statusCode)).toBe(404);
    expect((await pm.docker.listNetworks()).map((n) => n.Name)).not.toContain('ferry-vllm-model');
  });

  it("the exported docker-compose.yml runs with Debian's podman-compose against the same service", async () => {
    const podmanCompose = requireTool('podman-compose', 'podman-compose');
    const out = join(tmp.path, 'compose');
    const x = await ferry(['install', 'export-compose', installId, '--out', out, ...common]);
    expect(x.code, x.stderr).toBe(0);
    expect(readFileSync(join(out, 'docker-compose.yml'), 'utf8')).toContain('ferry-vllm');
    const { project } = x.json<{ project: string }>();
    // podman-compose 1.0 has no --env-file: it reads .env beside the compose file, as docker-compose does.
    const compose = (args: string[]): Promise<{ stdout: string; stderr: string }> =>
      promisify(execFile)(podmanCompose, ['-p', project, '-f', 'docker-compose.yml', ...args], { cwd: out, env: pm.cliEnv, maxBuffer: 16 << 20 });
    try {
      await compose(['up', '-d']);
      const running = await until('ferry-vllm running under podman-compose', () => pm.docker.getContainer('ferry-vllm').inspect().catch(() => undefined), (i) => i?.State.Running === true);
      expect(running!.Config.Labels?.['com.docker.compose.project'] ?? running!.Config.Labels?.['io.podman.compose.project']).toBeTruthy();
      const models = await until('GET /v1/models under podman-compose', modelsEndpoint, (m) => m.status === 200);
      expect(JSON.parse(models.body)).toMatchObject({ data: [{ id: 'model' }] });
    } finally {
      await compose(['down']);
    }
    expect(await pm.docker.getContainer('ferry-vllm').inspect().catch((e: { statusCode?: number }) => e.statusCode)).toBe(404);
  });

  it('with --gpu require, the preflight reads the Podman version and states the GPU request it would use', async () => {
    const r = await ferry([...installArgs(pm.dockerHost, 'require'), '--data-dir', join(tmp.path, 'gpu')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/step "preflight" failed/);
    if (podmanTakesCdiThroughApi(podmanVersion)) {
      expect(r.stderr).not.toMatch(/takes CDI GPU devices only on its command line/);
    } else {
      expect(r.stderr).toContain(`Podman ${podmanVersion} takes CDI GPU devices only on its command line (podman run --device nvidia.com/gpu=all --security-opt label=disable …)`);
    }
    const show = (await ferry(['install', 'list', '--data-dir', join(tmp.path, 'gpu'), '--json'])).json<InstallView[]>()[0]!;
    const preflight = show.steps.find((s) => s.id === 'preflight')!;
    expect(preflight.state).toBe('failed');
    expect(show.steps.filter((s) => s.id.startsWith('container:')).map((s) => s.state)).toEqual(['pending']);
  });
});
