import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import type Dockerode from 'dockerode';
import { UsageError } from '../../../shared/errors';
import { canonicalJson } from '../../bundle/canonical-json';
import type { ContainerSpec } from '../../recipes/recipe-schema';
import { gpuHostConfig, gpuRunFlags } from './gpu-request';
import type { HealthCheck } from './health-wait';
import { expandInstall, expandInstallShellWord, shellQuote, type InstallTemplateContext } from '../plan/install-template';
import { renderRunCommand } from './run-command';

// Pure: a recipe container entry + this host's values → Docker create options, the
// equivalent `docker run` for the admin, and a hash that tells whether a running container
// still matches (secret values are hashed, never shown).

export type { ContainerSpec };

export const LABEL_INSTALL = 'io.ferry.install';
export const LABEL_CONTAINER = 'io.ferry.container';
export const LABEL_CONFIG_HASH = 'io.ferry.config-hash';
/** Where GitLab's private CA file is mounted in containers with `caBundle: true`. */
export const CA_BUNDLE_PATH = '/etc/ssl/certs/ferry-gitlab-ca.pem';

export interface ContainerPlanInput {
  container: ContainerSpec;
  /** Resolved image reference to run (internal registry ref or loaded tag). */
  image: string;
  /** Engine container name, e.g. ferry-ai-gateway. */
  name: string;
  installId: string;
  ctx: InstallTemplateContext;
  engine: 'docker' | 'podman';
  /** 'none': no device requests (stand-ins / CPU-only test hosts). */
  gpu: 'require' | 'none';
  /** GitLab private CA bundle on this host. */
  caFile?: string;
  /** User-defined network to join (the recipe name is its alias there). */
  network?: string;
  /** Engine name of a named volume (`pgdata:/var/lib/postgresql/data`); without it only absolute host paths are accepted. */
  namedVolume?: (name: string) => string;
}

export interface ContainerPlan {
  name: string;
  create: Dockerode.ContainerCreateOptions;
  /** Display only: secrets as $(cat …). */
  command: string;
  configHash: string;
}

interface Port {
  hostIp: string;
  hostPort: string;
  key: string;
}

function parsePort(spec: string, where: string): Port {
  const m = /^(?:([0-9.]+):)?([0-9]{1,5}):([0-9]{1,5})(?:\/(tcp|udp))?$/.exec(spec);
  const ok = (p: string | undefined): boolean => p !== undefined && Number(p) >= 1 && Number(p) <= 65_535;
  if (!m || !ok(m[2]) || !ok(m[3])) throw new UsageError(`${where}: "${spec}" is not HOST_PORT:CONTAINER_PORT[/tcp|udp] with ports 1-65535`, 'Write ports like "5052:5052" or "127.0.0.1:8000:8000/tcp".');
  return { hostIp: m[1] ?? '', hostPort: m[2]!, key: `${m[3]}/${m[4] ?? 'tcp'}` };
}

const VOLUME_OPTS = /^(?:ro|rw|z|Z|[rs]?(?:shared|slave|private)|nocopy)(?:,(?:ro|rw|z|Z|[rs]?(?:shared|slave|private)|nocopy))*$/;

/** A volume name (not a path): `pgdata` in `pgdata:/var/lib/postgresql/data`. */
export const NAMED_VOLUME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function parseVolume(spec: string, where: string, namedVolume?: (name: string) => string): string {
  const parts = spec.split(':');
  const opts = parts.length >= 3 && VOLUME_OPTS.test(parts[parts.length - 1]!) ? parts.pop() : undefined;
  const target = parts.pop() ?? '';
  let host = parts.join(':');
  if (namedVolume && NAMED_VOLUME.test(host)) host = namedVolume(host);
  else if (!host || !isAbsolute(host)) {
    throw new UsageError(`${where}: host path "${host || spec}" is not absolute`, 'Volumes are HOST:CONTAINER[:ro] with an absolute host path (e.g. ${artifact.model}:/model); set the models directory to an absolute path.');
  }
  if (!target.startsWith('/')) throw new UsageError(`${where}: container path "${target}" is not absolute`, 'Write the container side as an absolute path, e.g. /model.');
  return opts ? `${host}:${target}:${opts}` : `${host}:${target}`;
}

/** Lays out one container. Throws UsageError naming the recipe field for a bad value. */
export function planContainer(input: ContainerPlanInput): ContainerPlan {
  const c = input.container;
  // As the shell's "$(cat FILE)" in the shown command: trailing newlines dropped, so both agree.
  const ctx: InstallTemplateContext = input.ctx.secretValues
    ? { ...input.ctx, secretValues: Object.fromEntries(Object.entries(input.ctx.secretValues).map(([k, v]) => [k, v.replace(/\n+$/, '')])) }
    : input.ctx;
  const at = `install.containers[${c.name}]`;
  const ports = (c.ports ?? []).map((p, i) => parsePort(p, `${at}.ports.${i}`));
  const binds = (c.volumes ?? []).map((v, i) => parseVolume(expandInstall(v, ctx, `${at}.volumes.${i}`, 'value'), `${at}.volumes.${i}`, input.namedVolume));
  const displayVolumes = [...binds];
  const env = Object.entries(c.env ?? {}).map(([k, v]) => ({
    name: k,
    value: expandInstall(v, ctx, `${at}.env.${k}`, 'value'),
    word: v === '' ? '' : expandInstallShellWord(v, ctx, `${at}.env.${k}`),
  }));
  if (c.caBundle && input.caFile) {
    if (!isAbsolute(input.caFile)) throw new UsageError(`GitLab CA file "${input.caFile}" is not an absolute path`, 'Give the CA bundle as an absolute path, e.g. /etc/pki/gitlab-ca.pem.');
    const bind = `${input.caFile}:${CA_BUNDLE_PATH}:ro`;
    binds.push(bind);
    displayVolumes.push(bind);
    for (const k of ['REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE']) {
      const existing = env.findIndex((e) => e.name === k);
      if (existing >= 0) env.splice(existing, 1);
      env.push({ name: k, value: CA_BUNDLE_PATH, word: CA_BUNDLE_PATH });
    }
  }
  const args = (c.command ?? []).map((a, i) => ({
    value: expandInstall(a, ctx, `${at}.command.${i}`, 'value'),
    word: expandInstallShellWord(a, ctx, `${at}.command.${i}`),
  }));
  const useGpu = input.gpu === 'require' && c.gpu !== undefined && c.gpu !== 'none';
  const gpu = useGpu ? (c.gpu as 'all' | number) : undefined;

  const hostConfig: Dockerode.HostConfig = {
    Binds: binds,
    PortBindings: Object.fromEntries(groupPorts(ports)),
    RestartPolicy: { Name: c.restart ?? 'no', ...(c.restart === 'on-failure' ? { MaximumRetryCount: 0 } : {}) },
    ...(input.network ? { NetworkMode: input.network } : {}),
    ...(gpu !== undefined ? gpuHostConfig(input.engine, gpu) : {}),
  };
  const labels = { [LABEL_INSTALL]: input.installId, [LABEL_CONTAINER]: c.name };
  const create: Dockerode.ContainerCreateOptions = {
    name: input.name,
    Image: input.image,
    Env: env.map((e) => `${e.name}=${e.value}`),
    ...(args.length > 0 ? { Cmd: args.map((a) => a.value) } : {}),
    ExposedPorts: Object.fromEntries(ports.map((p) => [p.key, {}])),
    Labels: labels,
    HostConfig: hostConfig,
    ...(input.network ? { NetworkingConfig: { EndpointsConfig: { [input.network]: { Aliases: [c.name] } } } } : {}),
  };
  const configHash = createHash('sha256').update(canonicalJson(create)).digest('hex');
  create.Labels = { ...labels, [LABEL_CONFIG_HASH]: configHash };

  const command = renderRunCommand({
    engine: input.engine,
    name: input.name,
    restart: c.restart,
    publish: c.ports ?? [],
    env: env.map((e) => ({ name: e.name, word: e.word })),
    volumes: displayVolumes,
    labels,
    network: input.network,
    networkAlias: input.network ? c.name : undefined,
    gpuFlags: gpu !== undefined ? gpuRunFlags(input.engine, gpu) : [],
    image: input.image,
    args: args.map((a) => a.word),
  });
  return { name: input.name, create, command, configHash };
}

function groupPorts(ports: Port[]): Map<string, { HostIp: string; HostPort: string }[]> {
  const out = new Map<string, { HostIp: string; HostPort: string }[]>();
  for (const p of ports) out.set(p.key, [...(out.get(p.key) ?? []), { HostIp: p.hostIp, HostPort: p.hostPort }]);
  return out;
}

/**
 * The container's health checks, expanded, in order (a single check becomes a list of one).
 * `timeoutMs` comes from the check's `timeout` (seconds) when the recipe sets one.
 */
export function healthChecksFor(c: ContainerSpec, ctx: InstallTemplateContext): HealthCheck[] {
  const list = c.health === undefined ? [] : Array.isArray(c.health) ? c.health : [c.health];
  return list.map((h, i) => {
    const at = `install.containers[${c.name}].health${Array.isArray(c.health) ? `.${i}` : ''}`;
    const common: HealthCheck = {
      ...(h.expectBody !== undefined ? { expectBody: expandInstall(h.expectBody, ctx, `${at}.expectBody`, 'value') } : {}),
      ...(h.timeout !== undefined ? { timeoutMs: h.timeout * 1000 } : {}),
      name: c.name,
    };
    if ('http' in h) return { ...common, http: expandInstall(h.http, ctx, `${at}.http`, 'value'), ...(h.expectStatus ? { expectStatus: h.expectStatus } : {}) };
    return { ...common, cmd: execForm(h.cmd.map((s, j) => expandInstall(s, ctx, `${at}.cmd.${j}`, 'value'))) };
  });
}

/** Compose's forms as docker exec runs them: ["CMD-SHELL", "x y"] → sh -c "x y"; ["CMD", …] → …. */
export function execForm(cmd: string[]): string[] {
  if (cmd[0] === 'CMD-SHELL') return ['/bin/sh', '-c', cmd.slice(1).join(' ')];
  if (cmd[0] === 'CMD') return cmd.slice(1);
  return cmd;
}

/** One line for the admin: the checks as the curl / docker exec commands they stand for. */
export function healthCommand(checks: HealthCheck[], containerName: string, engine: 'docker' | 'podman'): string {
  return checks
    .map((h) => (h.http ? `curl --silent ${shellQuote(h.http)}` : `${engine} exec ${shellQuote(containerName)} ${(h.cmd ?? []).map(shellQuote).join(' ')}`))
    .join('\n');
}
