import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIntoDocker } from '../../src/main/docker/docker-loader';
import { containerLogs, pullImage, removeContainer, startContainer } from '../../src/main/install/engine/container-runner';
import { healthChecksFor, planContainer, type ContainerSpec } from '../../src/main/install/engine/container-spec';
import { waitHealthy } from '../../src/main/install/engine/health-wait';
import type { InstallTemplateContext } from '../../src/main/install/plan/install-template';
import { ensureSecrets, readSecret } from '../../src/main/install/plan/secrets';
import { builtinRecipesDir, loadRecipeFile } from '../../src/main/recipes/recipe-catalog';
import { FerryError } from '../../src/shared/errors';
import { startDockerd, type TestDockerd } from '../harness/dockerd';
import { freePort } from '../harness/ports';
import { startRegistry, type TestRegistry } from '../harness/registry';
import { buildStandinImages, STANDIN_NAMES } from '../harness/standin-images';
import { pushTestImages } from '../harness/test-images';
import { tempDir } from '../harness/temp';

// The guided install's container steps against a real networked dockerd, with the busybox
// stand-ins for the AI Gateway and vLLM. Ports are published on 127.0.0.1 only.

const tmp = tempDir('ferry-container-runner-');
const REGISTRY = 'registry.internal.example.com/duo';
const AIGW_IMAGE = `${REGISTRY}/${STANDIN_NAMES.aiGateway}`;
const VLLM_IMAGE = `${REGISTRY}/${STANDIN_NAMES.vllm}`;
const SERVED = 'custom_openai/mistral-small-3.2-24b';
const HEALTH_MS = 30_000;

let engine: TestDockerd;
let docker: Dockerode;
let layoutDir: string;
let aigw: ContainerSpec;
let vllm: ContainerSpec;
let ctx: InstallTemplateContext;
const secretDir = join(tmp.path, 'secrets');

/** The recipe entry with its host ports moved to free loopback ports (health URLs follow). */
function onLoopback(c: ContainerSpec, ports: Record<string, number>): ContainerSpec {
  const move = (url: string): string => url.replace(/127\.0\.0\.1:(\d+)/, (_, p: string) => `127.0.0.1:${ports[p] ?? p}`);
  const health = c.health === undefined ? undefined : (Array.isArray(c.health) ? c.health : [c.health]).map((h) => ('http' in h ? { ...h, http: move(h.http) } : h));
  return {
    ...c,
    ports: (c.ports ?? []).map((p) => {
      const [host, container] = p.split(':');
      return `127.0.0.1:${ports[host!] ?? host}:${container}`;
    }),
    ...(health ? { health } : {}),
  };
}

const plan = (container: ContainerSpec, over: Partial<Parameters<typeof planContainer>[0]> = {}) =>
  planContainer({
    container,
    image: container.name === 'vllm' ? VLLM_IMAGE : AIGW_IMAGE,
    name: `ferry-${container.name}`,
    installId: 'inst-it',
    ctx,
    engine: 'docker',
    gpu: 'none',
    ...over,
  });

async function healthy(container: ContainerSpec, id: string, c: InstallTemplateContext = ctx) {
  return waitHealthy(healthChecksFor(container, c), { timeoutMs: HEALTH_MS, docker, containerId: id });
}

beforeAll(async () => {
  engine = await startDockerd({ networking: true });
  docker = engine.docker;
  layoutDir = join(tmp.path, 'layout');
  const images = await buildStandinImages(layoutDir);
  await loadIntoDocker(docker, layoutDir, [
    { manifestDigest: images.aiGateway.manifestDigest, tag: AIGW_IMAGE },
    { manifestDigest: images.vllm.manifestDigest, tag: VLLM_IMAGE },
    { manifestDigest: images.executor.manifestDigest, tag: `${REGISTRY}/${STANDIN_NAMES.executor}` },
  ]);

  const { recipe } = await loadRecipeFile(join(builtinRecipesDir(), 'gitlab-duo-self-hosted.yaml'), 'builtin');
  const secrets = recipe.install!.secrets!;
  const files = await ensureSecrets(secretDir, secrets.map((s) => ({ name: s.name, kind: s.kind })));
  const model = join(tmp.path, 'models', 'mistral-small-3.2-24b');
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'config.json'), '{"architectures":["MistralForCausalLM"]}\n');
  ctx = {
    params: { gitlab_domain: 'gitlab.internal.example.com', served_model_name: SERVED, tensor_parallel_size: '1' },
    secretFiles: Object.fromEntries(files.map((f) => [f.name, f.path])),
    secretValues: Object.fromEntries(await Promise.all(secrets.map(async (s) => [s.name, await readSecret(secretDir, s.name)] as const))),
    artifacts: { model },
  };
  const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
  const find = (n: string): ContainerSpec => recipe.install!.containers!.find((c) => c.name === n)!;
  aigw = onLoopback(find('ai-gateway'), { '5052': p1, '50052': p2 });
  vllm = onLoopback(find('vllm'), { '8000': p3 });
});

afterAll(async () => {
  await engine?.stop();
  tmp.cleanup();
});

describe('container runner with the stand-in AI Gateway and vLLM', () => {
  let aigwId = '';

  it('starts both and waits until their health checks pass', async () => {
    const logs: string[] = [];
    const a = await startContainer(docker, plan(aigw), { onLog: (l) => logs.push(l) });
    const v = await startContainer(docker, plan(vllm), {});
    expect(a).toMatchObject({ replaced: false, reused: false });
    expect(v).toMatchObject({ replaced: false, reused: false });
    expect(logs.some((l) => l.startsWith('Started ferry-ai-gateway'))).toBe(true);
    aigwId = a.id;

    const ha = await healthy(aigw, a.id);
    expect(ha.results).toEqual([expect.objectContaining({ check: `GET http://${aigw.ports![0]!.replace(/:5052$/, '')}/monitoring/healthz`, status: 200 })]);
    const hv = await healthy(vllm, v.id);
    expect(hv.results.map((r) => [r.check.replace(/:\d+\//, ':PORT/'), r.status])).toEqual([
      ['GET http://127.0.0.1:PORT/health', 200],
      ['GET http://127.0.0.1:PORT/v1/models', 200],
    ]);
    const models = await request(`http://${vllm.ports![0]!.replace(/:8000$/, '')}/v1/models`);
    expect(await models.body.json()).toEqual({ object: 'list', data: [{ id: SERVED, object: 'model', owned_by: 'vllm' }] });
    // The gRPC port of the Agent Platform service answers too.
    const grpc = await request(`http://${aigw.ports![1]!.replace(/:50052$/, '')}/`);
    expect(grpc.statusCode).toBe(200);
    await grpc.body.text();

    expect((await containerLogs(docker, 'ferry-vllm', 20)).join('\n')).toContain(`vllm stand-in: serving ${SERVED} from /model (tensor parallel 1) on 8000`);
    const info = await docker.getContainer(v.id).inspect();
    expect(info.Config.Labels).toMatchObject({ 'io.ferry.install': 'inst-it', 'io.ferry.container': 'vllm', 'io.ferry.config-hash': plan(vllm).configHash });
    expect(info.HostConfig.Binds).toEqual([`${ctx.artifacts.model}:/model`]);
  });

  it('running the step again reuses the running container', async () => {
    const again = await startContainer(docker, plan(aigw), {});
    expect(again).toEqual({ id: aigwId, replaced: false, reused: true });
  });

  it('cmd checks run inside the container (docker exec), output and exit code checked', async () => {
    const id = (await docker.getContainer('ferry-vllm').inspect()).Id;
    const r = await waitHealthy([{ cmd: ['wget', '-q', '-O', '-', 'http://127.0.0.1:8000/v1/models'], expectBody: SERVED, name: 'vllm' }], { timeoutMs: HEALTH_MS, docker, containerId: id });
    expect(r.results).toEqual([expect.objectContaining({ check: 'exec wget -q -O - http://127.0.0.1:8000/v1/models', status: 0 })]);
    const seen: string[] = [];
    const err = await waitHealthy([{ cmd: ['sh', '-c', 'echo not yet >&2; exit 3'], name: 'vllm' }], { timeoutMs: 1500, docker, containerId: id, onAttempt: (_, d) => seen.push(d) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).message).toMatch(/^Health check "exec sh -c echo not yet >&2; exit 3" \(vllm\) did not pass within 2 s; last result: exit code 3: not yet$/);
    expect(seen[0]).toBe('exit code 3: not yet');
  });

  it('a changed env value (rotated key) replaces the container', async () => {
    const rotated = { ...ctx, secretValues: { ...ctx.secretValues, aigw_signing_key: ctx.secretValues!.duo_workflow_jwt_key! } };
    const r = await startContainer(docker, plan(aigw, { ctx: rotated }), {});
    expect(r.replaced).toBe(true);
    expect(r.reused).toBe(false);
    expect(r.id).not.toBe(aigwId);
    await expect(docker.getContainer(aigwId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const env = (await docker.getContainer(r.id).inspect()).Config.Env;
    expect(env).toContain(`AIGW_SELF_SIGNED_JWT__SIGNING_KEY=${ctx.secretValues!.duo_workflow_jwt_key}`);
    await healthy(aigw, r.id, rotated);
  });

  it("with GitLab's private CA file, the AI Gateway gets it read-only and still comes up", async () => {
    const caFile = join(tmp.path, 'gitlab-ca.pem');
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n');
    const r = await startContainer(docker, plan(aigw, { caFile }), {});
    expect(r.replaced).toBe(true);
    await healthy(aigw, r.id);
    const info = await docker.getContainer(r.id).inspect();
    expect(info.HostConfig.Binds).toEqual([`${caFile}:/etc/ssl/certs/ferry-gitlab-ca.pem:ro`]);
    expect(info.Config.Env).toEqual(expect.arrayContaining(['REQUESTS_CA_BUNDLE=/etc/ssl/certs/ferry-gitlab-ca.pem', 'SSL_CERT_FILE=/etc/ssl/certs/ferry-gitlab-ca.pem']));
  });

  it('a missing env makes the stand-in exit; the health wait fails at once with the exit code and log', async () => {
    const { DUO_WORKFLOW_AUTH__OIDC_CUSTOMER_PORTAL_URL: _gone, ...env } = aigw.env!;
    const broken = { ...aigw, env };
    const r = await startContainer(docker, plan(broken), {});
    expect(r.replaced).toBe(true);
    const t0 = Date.now();
    const err = await healthy(broken, r.id).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(HEALTH_MS / 2);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).message).toMatch(/^ai-gateway exited with code 1: /);
    expect((err as FerryError).message).toContain('ai-gateway stand-in: DUO_WORKFLOW_AUTH__OIDC_CUSTOMER_PORTAL_URL is not set');
    expect((err as FerryError).hint).toMatch(/log says why/);
  });

  it('never touches a container of the same name that Ferry did not create', async () => {
    const foreign = await docker.createContainer({ name: 'ferry-vllm-foreign', Image: `${REGISTRY}/${STANDIN_NAMES.executor}`, Cmd: ['sleep', '600'] });
    await foreign.start();
    const err = await startContainer(docker, { ...plan(vllm), name: 'ferry-vllm-foreign' }, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).message).toMatch(/A container named ferry-vllm-foreign already exists and was not created by Ferry/);
    expect((err as FerryError).hint).toMatch(/docker rm -f ferry-vllm-foreign/);
    await expect(removeContainer(docker, 'ferry-vllm-foreign')).rejects.toThrow(/not created by Ferry/);
    expect((await foreign.inspect()).State.Running).toBe(true);
    await foreign.remove({ force: true });
  });

  it('removeContainer undoes: stops and removes, then reports absence', async () => {
    expect(await removeContainer(docker, 'ferry-vllm')).toBe(true);
    expect(await removeContainer(docker, 'ferry-ai-gateway')).toBe(true);
    await expect(docker.getContainer('ferry-vllm').inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await removeContainer(docker, 'ferry-vllm')).toBe(false);
    expect(await containerLogs(docker, 'ferry-vllm', 5)).toEqual([]);
  });

  it("gpu 'require' asks the engine for all NVIDIA GPUs (created, not started: no GPU here)", async () => {
    const p = plan(vllm, { gpu: 'require', name: 'ferry-vllm-gpu' });
    const c = await docker.createContainer(p.create);
    const info = await c.inspect();
    expect(info.HostConfig.DeviceRequests).toEqual([expect.objectContaining({ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] })]);
    await c.remove({ force: true });
  });
});

describe('pullImage from an internal registry', () => {
  let registry: TestRegistry;
  const auth = { username: 'ferry', password: 'pull-secret-1' };
  beforeAll(async () => {
    registry = await startRegistry({ auth });
    await pushTestImages(layoutDir, registry.host, 'duo', { creds: `${auth.username}:${auth.password}` });
  });
  afterAll(async () => registry?.stop());

  it('pulls with credentials, and names the image when the pull fails', async () => {
    const ref = `${registry.host}/duo/${STANDIN_NAMES.vllm}`;
    const logs: string[] = [];
    await pullImage(docker, ref, { ...auth, serveraddress: registry.host }, { onLog: (l) => logs.push(l) });
    expect((await docker.getImage(ref).inspect()).Config.Entrypoint).toEqual(['/usr/local/bin/vllm-standin']);
    expect(logs.join('\n')).toMatch(/Status: Downloaded newer image|Pull complete/);

    const missing = `${registry.host}/duo/vllm-openai:v9.9.9`;
    const e1 = await pullImage(docker, missing, { ...auth, serveraddress: registry.host }, {}).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(FerryError);
    expect((e1 as FerryError).message).toContain(`Pulling ${missing} failed`);

    const e2 = await pullImage(docker, ref, { ...auth, password: 'wrong', serveraddress: registry.host }, {}).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(FerryError);
    expect((e2 as FerryError).message).toContain(`Pulling ${ref} failed`);
    expect((e2 as FerryError).hint).toMatch(/user name and password/);
  });
});
