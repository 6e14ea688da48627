import { stringify } from 'yaml';
import { UsageError } from '../../../shared/errors';
import type { ContainerSpec } from '../../recipes/recipe-schema';
import { healthChecksFor, planContainer } from '../engine/container-spec';
import type { HealthCheck } from '../engine/health-wait';
import { orderContainers } from './install-plan';
import { containerName, imageRef, networkName, secretsDir, templateContext, volumeName } from './install-refs';
import type { InstallRecord } from '../install-store';
import { shellQuote } from './install-template';
import { readSecret } from './secrets';
import { namedVolumesOf } from '../engine/stack-resources';

// Pure rendering of an install as a docker-compose.yml (Compose file format without `version`,
// read by docker-compose 1.27+ and `docker compose`) plus its .env with the generated secrets:
// the same images (internal registry or loaded tags), environment (secrets as ${VAR} from .env),
// ports, volumes (named ones under the names Ferry gives them, so data is shared), restart,
// depends_on with service_healthy where the dependency has a health check, health checks, and
// the install's private network.

export interface ComposeInput {
  record: Pick<InstallRecord, 'id' | 'plan' | 'request'>;
  dataDir: string;
  /** Secret name → value, as read from the install's secrets folder. */
  secretValues: Record<string, string>;
}

export interface RenderedCompose {
  compose: string;
  env: string;
  /** Compose project name (-p) that keeps the stack's objects apart from others. */
  project: string;
}

/** Environment variable of a secret in .env: its name in capitals (db_password → DB_PASSWORD). */
export function secretVar(name: string): string {
  return name.toUpperCase();
}

const TOKEN = (name: string): string => `__FERRY_SECRET_${name}__`;
const TOKEN_RE = /__FERRY_SECRET_([a-z][a-z0-9_]*)__/g;

/** A value for the compose file: `$` escaped as `$$`, secret placeholders as ${VAR}. */
function composeValue(v: string): string {
  return v.replace(/\$/g, '$$$$').replace(TOKEN_RE, (_m, n: string) => `\${${secretVar(n)}}`);
}

const isShellForm = (cmd: string[]): boolean => cmd.length === 3 && cmd[0] === '/bin/sh' && cmd[1] === '-c';

function checkShell(h: HealthCheck, inside: (url: string) => string): string {
  if (h.cmd) return isShellForm(h.cmd) ? h.cmd[2]! : h.cmd.map(shellQuote).join(' ');
  const url = shellQuote(inside(h.http!));
  const fetch = `(wget -q -O- ${url} || curl -fsS ${url})`;
  return h.expectBody !== undefined ? `${fetch} | grep -qF ${shellQuote(h.expectBody)}` : `${fetch} >/dev/null`;
}

/** The container-side URL of a health URL polled from the host on a published port. */
function insideUrl(c: ContainerSpec): (url: string) => string {
  return (url) => {
    const u = new URL(url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return url;
    const host = u.port || (u.protocol === 'https:' ? '443' : '80');
    const m = (c.ports ?? []).map((p) => /^(?:[0-9.]+:)?([0-9]+):([0-9]+)/.exec(p)).find((x) => x?.[1] === host);
    if (m) u.port = m[2]!;
    return u.toString();
  };
}

function healthcheck(c: ContainerSpec, checks: HealthCheck[]): Record<string, unknown> | undefined {
  if (checks.length === 0) return undefined;
  const first = (Array.isArray(c.health) ? c.health[0] : c.health)!;
  const only = checks.length === 1 ? checks[0]!.cmd : undefined;
  const test = only && !isShellForm(only) ? ['CMD', ...only] : ['CMD-SHELL', checks.map((h) => checkShell(h, insideUrl(c))).join(' && ')];
  return {
    test: test.map(composeValue),
    interval: `${first.interval ?? 10}s`,
    timeout: '10s',
    retries: first.retries ?? 30,
  };
}

export function renderCompose(input: ComposeInput): RenderedCompose {
  const { plan, request, id: installId } = input.record;
  const secrets = plan.recipe.install?.secrets ?? [];
  const ctx = templateContext(plan, request, input.dataDir, installId, Object.fromEntries(secrets.map((s) => [s.name, TOKEN(s.name)])));
  const active = orderContainers(plan.recipe, plan.params);
  const volumes: Record<string, { name: string }> = {};
  const services: Record<string, Record<string, unknown>> = {};
  for (const c of active) {
    const img = plan.images.find((i) => i.id === c.image);
    if (!img) throw new UsageError(`Container ${c.name} runs image "${c.image}", which the bundle does not carry.`);
    const cp = planContainer({ container: c, image: imageRef(img, request.registry), name: containerName(c.name), installId, ctx, engine: 'docker', gpu: 'none', caFile: request.gitlabCaFile, namedVolume: (n) => n });
    for (const v of namedVolumesOf(c, ctx)) volumes[v] = { name: volumeName(plan.recipe.id, v) };
    const env = Object.fromEntries((cp.create.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), composeValue(e.slice(e.indexOf('=') + 1))]));
    const deps = (c.dependsOn ?? []).filter((d) => active.some((x) => x.name === d));
    const hc = healthcheck(c, healthChecksFor(c, ctx));
    const gpu = c.gpu !== undefined && c.gpu !== 'none' && request.gpu !== 'none' ? c.gpu : undefined;
    services[c.name] = {
      image: cp.create.Image,
      container_name: cp.name,
      ...(c.restart ? { restart: c.restart } : {}),
      ...(cp.create.Cmd ? { command: (cp.create.Cmd as string[]).map(composeValue) } : {}),
      ...(Object.keys(env).length ? { environment: env } : {}),
      ...(c.ports?.length ? { ports: c.ports } : {}),
      ...(cp.create.HostConfig?.Binds?.length ? { volumes: cp.create.HostConfig.Binds } : {}),
      ...(deps.length
        ? { depends_on: Object.fromEntries(deps.map((d) => [d, { condition: active.find((x) => x.name === d)!.health ? 'service_healthy' : 'service_started' }])) }
        : {}),
      ...(hc ? { healthcheck: hc } : {}),
      ...(gpu !== undefined ? { deploy: { resources: { reservations: { devices: [{ driver: 'nvidia', ...(gpu === 'all' ? { count: 'all' } : { count: gpu }), capabilities: ['gpu'] }] } } } } : {}),
      labels: { 'io.ferry.install': installId, 'io.ferry.container': c.name },
      networks: ['default'],
    };
  }
  const doc = {
    services,
    networks: { default: { name: networkName(plan.recipe.id) } },
    ...(Object.keys(volumes).length ? { volumes } : {}),
  };
  const head = `# ${plan.recipe.title} ${plan.recipe.version} (recipe ${plan.recipe.id}), exported by Ferry from install ${installId} (bundle ${plan.bundleId}).\n# Secrets are read from .env (keep it 0600). Start from this folder with: docker-compose -p ${projectOf(plan.recipe.id)} -f docker-compose.yml up -d (or podman-compose with the same arguments)\n`;
  const envLines = [`# Secrets generated on this host for install ${installId}. Keep this file private (0600).`];
  for (const s of secrets) {
    const value = (input.secretValues[s.name] ?? '').replace(/\n+$/, '');
    if (value.includes('\n') || value.includes('\r')) {
      throw new UsageError(`Secret ${s.name} (${s.kind}) spans several lines; a Compose .env file cannot hold it.`, `Run this stack with "ferry install" instead, or pass ${secretVar(s.name)} to Compose from your own secret store.`);
    }
    envLines.push(`${secretVar(s.name)}=${value}`);
  }
  return { compose: head + stringify(doc, { lineWidth: 0 }), env: `${envLines.join('\n')}\n`, project: projectOf(plan.recipe.id) };
}

function projectOf(recipeId: string): string {
  return `ferry-${recipeId}`;
}

/** Reads the install's secrets and renders docker-compose.yml and .env; `command` starts the stack from the folder holding them. */
export async function composeFiles(record: ComposeInput['record'], dataDir: string): Promise<RenderedCompose & { command: string }> {
  const dir = secretsDir(dataDir, record.id);
  const secretValues: Record<string, string> = {};
  for (const s of record.plan.recipe.install?.secrets ?? []) {
    try {
      secretValues[s.name] = await readSecret(dir, s.name);
    } catch (err) {
      throw new UsageError(`Secret ${s.name} of install ${record.id} is not there: ${(err as Error).message}`, `Run the secrets step first (ferry install --resume ${record.id} --step secrets).`);
    }
  }
  const r = renderCompose({ record, dataDir, secretValues });
  return { ...r, command: `docker-compose -p ${r.project} -f docker-compose.yml up -d` };
}
