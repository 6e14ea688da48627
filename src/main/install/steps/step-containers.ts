import type Dockerode from 'dockerode';
import { FerryError } from '../../../shared/errors';
import { parseRegistryTarget } from '../../bundle/registry-target';
import type { ContainerSpec } from '../../recipes/recipe-schema';
import { containerLogs, pullImage, removeContainer, startContainer } from '../engine/container-runner';
import { healthChecksFor, planContainer } from '../engine/container-spec';
import { checkEgress } from '../engine/egress-check';
import { waitHealthy } from '../engine/health-wait';
import { orderContainers } from '../plan/install-plan';
import { containerName, imageRef, networkName, secretsDir, templateContext, volumeName } from '../plan/install-refs';
import { readSecret } from '../plan/secrets';
import { LABEL_INSTALL } from '../engine/container-spec';
import type { InstallTemplateContext } from '../plan/install-template';
import { ensureNetwork, ensureVolume, LABEL_RECIPE, LABEL_VOLUME, namedVolumesOf, removeNetworkIfUnused, removeVolume } from '../engine/stack-resources';
import type { StepEnv, StepOutcome, StepFn } from './step-env';
import { registryCredentials } from './step-push';

// Steps 6-8: each container pulled from the internal registry and started (undo: removed),
// every container's health checks green, and the egress check from inside each.

const LOG_LINES = 40;

function specOf(env: StepEnv, name: string): ContainerSpec {
  const c = (env.record.plan.recipe.install?.containers ?? []).find((x) => x.name === name);
  if (!c) throw new FerryError(`The recipe has no container "${name}".`);
  return c;
}

export async function secretValues(env: StepEnv): Promise<Record<string, string>> {
  const dir = secretsDir(env.dataDir, env.installId);
  const out: Record<string, string> = {};
  for (const s of env.record.plan.recipe.install?.secrets ?? []) out[s.name] = await readSecret(dir, s.name);
  return out;
}

export function containerStep(name: string): StepFn {
  return async (env) => {
    const { request, plan } = env.record;
    const c = specOf(env, name);
    const img = plan.images.find((i) => i.id === c.image);
    if (!img) throw new FerryError(`Container ${name} runs image "${c.image}", which the bundle does not carry.`, 'The bundle was created with other parameters; plan the install from a bundle that has it.');
    const image = imageRef(img, request.registry);
    const docker = env.docker();
    const onLog = (line: string): void => env.log(line);
    if (request.registry) {
      env.progress.phase(`pulling ${image}`);
      const creds = registryCredentials(env);
      const auth = creds ? { ...creds, serveraddress: parseRegistryTarget(request.registry).registry } : undefined;
      await pullImage(docker, image, auth, { signal: env.progress.signal, onLog });
    }
    const engine = await env.engineKind();
    const ctx = templateContext(plan, request, env.dataDir, env.installId, await secretValues(env));
    const labels = { [LABEL_INSTALL]: env.installId, [LABEL_RECIPE]: plan.recipe.id };
    const network = networkName(plan.recipe.id);
    if ((await ensureNetwork(docker, network, labels)).created) env.log(`created network ${network}`);
    const volumes = namedVolumesOf(c, ctx).map((v) => volumeName(plan.recipe.id, v));
    for (const [i, v] of namedVolumesOf(c, ctx).entries()) {
      if ((await ensureVolume(docker, volumes[i]!, { ...labels, [LABEL_VOLUME]: v })).created) env.log(`created volume ${volumes[i]}`);
    }
    const waitedFor = await waitForDependencies(env, c, ctx);
    const cp = planContainer({
      container: c, image, name: containerName(name), installId: env.installId, ctx, engine, gpu: request.gpu ?? 'require', caFile: request.gitlabCaFile,
      network, namedVolume: (v) => volumeName(plan.recipe.id, v),
    });
    env.progress.phase(`starting ${cp.name}`);
    const r = await startContainer(docker, cp, { signal: env.progress.signal, onLog });
    return {
      result: { container: cp.name, id: r.id, image, digest: img.digest, reused: r.reused, replaced: r.replaced, network, volumes, waitedFor },
      summary: `${cp.name} ${r.reused ? 'already running' : 'started'} (${r.id.slice(0, 12)}) from ${image}${waitedFor.length ? ` after ${waitedFor.join(', ')} healthy` : ''}`,
    };
  };
}

/** Waits until every dependency with health checks is healthy (dependsOn with a health condition). */
async function waitForDependencies(env: StepEnv, c: ContainerSpec, ctx: InstallTemplateContext): Promise<string[]> {
  const active = orderContainers(env.record.plan.recipe, env.record.plan.params);
  const waited: string[] = [];
  for (const d of c.dependsOn ?? []) {
    const dep = active.find((x) => x.name === d);
    if (!dep?.health) continue;
    const { id } = await running(env.docker(), d);
    env.progress.phase(`${c.name}: waiting for ${d} to be healthy`);
    try {
      const r = await waitHealthy(healthChecksFor(dep, ctx), {
        timeoutMs: (env.record.request.healthTimeout ?? 600) * 1000,
        signal: env.progress.signal,
        docker: env.docker(),
        containerId: id,
        onAttempt: (_check, detail) => env.progress.phase(`${c.name}: waiting for ${d}: ${detail}`),
      });
      for (const x of r.results) env.log(`${d}: ${x.check} ok after ${x.ms} ms`);
    } catch (err) {
      for (const line of await containerLogs(env.docker(), containerName(d), LOG_LINES).catch(() => [])) env.log(`${d} | ${line}`);
      throw err instanceof FerryError ? new FerryError(`${c.name} depends on ${d}, which is not healthy: ${err.message}`, err.hint ?? `Fix ${d} and run this step again.`) : err;
    }
    waited.push(d);
  }
  return waited;
}

export function undoContainerStep(name: string): StepFn {
  return async (env) => {
    const docker = env.docker();
    const { plan, request } = env.record;
    const removed = await removeContainer(docker, containerName(name));
    env.log(removed ? `removed ${containerName(name)}` : `${containerName(name)} was not there`);
    const network = networkName(plan.recipe.id);
    const networkRemoved = await removeNetworkIfUnused(docker, network);
    if (networkRemoved) env.log(`removed network ${network} (no container left on it)`);
    const volumesRemoved: string[] = [];
    const c = (plan.recipe.install?.containers ?? []).find((x) => x.name === name);
    const vols = c ? namedVolumesOf(c, templateContext(plan, request, env.dataDir, env.installId)).map((v) => volumeName(plan.recipe.id, v)) : [];
    if (env.removeVolumes) {
      for (const v of vols) if (await removeVolume(docker, v)) volumesRemoved.push(v);
      for (const v of volumesRemoved) env.log(`removed volume ${v} (its data is gone)`);
    } else if (vols.length > 0) env.log(`kept volume(s) ${vols.join(', ')} (their data); remove them with --remove-volumes`);
    return {
      result: { container: containerName(name), removed, networkRemoved, volumesRemoved, volumesKept: env.removeVolumes ? [] : vols },
      summary: `${removed ? `${containerName(name)} stopped and removed` : `${containerName(name)} was not there`}${volumesRemoved.length ? `; removed ${volumesRemoved.join(', ')}` : ''}`,
    };
  };
}

async function running(docker: Dockerode, name: string): Promise<{ name: string; id: string }> {
  const info = await docker
    .getContainer(containerName(name))
    .inspect()
    .catch(() => undefined);
  if (!info) throw new FerryError(`Container ${containerName(name)} does not exist.`, `Run the step container:${name} first.`);
  return { name, id: info.Id };
}

export async function healthStep(env: StepEnv): Promise<StepOutcome> {
  const { request, plan } = env.record;
  const docker = env.docker();
  const ctx = templateContext(plan, request, env.dataDir, env.installId);
  const out: { container: string; results: unknown[] }[] = [];
  for (const c of orderContainers(plan.recipe, plan.params).filter((x) => x.health !== undefined)) {
    const { id } = await running(docker, c.name);
    env.progress.phase(`waiting for ${c.name}`);
    try {
      const r = await waitHealthy(healthChecksFor(c, ctx), {
        timeoutMs: (request.healthTimeout ?? 600) * 1000,
        signal: env.progress.signal,
        docker,
        containerId: id,
        onAttempt: (check, detail) => env.progress.phase(`waiting for ${c.name}: ${detail}`),
      });
      for (const x of r.results) env.log(`${c.name}: ${x.check} ok${x.status ? ` (HTTP ${x.status})` : ''} after ${x.ms} ms`);
      out.push({ container: c.name, results: r.results });
    } catch (err) {
      for (const line of await containerLogs(docker, containerName(c.name), LOG_LINES).catch(() => [])) env.log(`${c.name} | ${line}`);
      throw err;
    }
  }
  return { result: { containers: out }, summary: `${out.length} container(s) healthy` };
}

export async function egressStep(env: StepEnv): Promise<StepOutcome> {
  const { request, plan } = env.record;
  const docker = env.docker();
  const containers = await Promise.all(orderContainers(plan.recipe, plan.params).map((c) => running(docker, c.name)));
  const report = await checkEgress(docker, containers, { outside: request.egress.outside, internal: request.egress.internal ?? [], signal: env.progress.signal });
  for (const r of report.results) env.log(`${r.container} → ${r.target}: ${r.outcome} (expected ${r.expect})${r.ok ? '' : ' FAIL'} ${r.detail}`);
  env.custody.append({ type: 'egress.checked', role: 'admin', bundleId: plan.bundleId, details: { installId: env.installId, ok: report.ok, checkedAt: report.checkedAt, results: report.results } });
  if (!report.ok) {
    const bad = report.results.filter((r) => !r.ok);
    throw new FerryError(
      `Egress check failed: ${bad.map((r) => `${r.container} → ${r.target} is ${r.outcome} (must be ${r.expect})`).join('; ')}.`,
      bad.some((r) => r.expect === 'unreachable')
        ? 'Block outbound traffic from the containers at the host firewall (DOCKER-USER chain) or the network edge, then run this step again.'
        : 'Check the internal targets are up and reachable from the containers\' network, then run this step again.',
      'EgressFailed',
    );
  }
  return { result: { ...report }, summary: `${report.results.length} probe(s) as expected` };
}
