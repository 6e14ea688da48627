import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { parse as parseYaml } from 'yaml';
import { CanceledError, FerryError } from '../../../shared/errors';
import { asEngineUnreachable, engineAddress } from './engine-errors';

/** What the container engine says about itself and its GPU plumbing. */
export interface EngineInfo {
  kind: 'docker' | 'podman';
  version: string;
  /** The engine's API version (Docker's ApiVersion; Podman's compat API reports its Docker API level). */
  apiVersion?: string;
  /** Registered OCI runtimes (Docker's /info Runtimes keys), e.g. runc, nvidia. */
  runtimes: string[];
  /** The NVIDIA Container Toolkit's runtime is registered with the engine. */
  nvidiaRuntime: boolean;
  /** Fully qualified CDI device names the engine can inject, e.g. nvidia.com/gpu=0, nvidia.com/gpu=all. */
  cdiDevices: string[];
  /** Where the CDI device list came from: the engine's /info, spec files on this host, or nowhere. */
  cdiSource?: 'engine' | 'spec-files' | 'none';
  /** CDI spec directories looked at (engine's CDISpecDirs or the defaults). */
  cdiSpecDirs?: string[];
}

export interface EngineInfoOptions {
  /** CDI spec dirs to read when the engine does not list devices itself (default: the engine's CDISpecDirs, else /etc/cdi and /var/run/cdi). */
  cdiSpecDirs?: string[];
  signal?: AbortSignal;
}

export const DEFAULT_CDI_SPEC_DIRS = ['/etc/cdi', '/var/run/cdi'];
const MAX_SPEC_BYTES = 4 << 20;

/**
 * Asks the engine (/version, /info) whether it is Docker or Podman and how it can hand GPUs to
 * containers. Podman's compatible API names itself in /version (a component "Podman Engine");
 * Docker's /info lists Runtimes (nvidia once the NVIDIA Container Toolkit is configured) and, on
 * newer engines, CDISpecDirs and DiscoveredDevices. When the engine lists no CDI devices but
 * supports CDI (Podman always; Docker when it reports CDISpecDirs) and its socket is on this host,
 * the CDI spec files in those dirs are read instead. Missing fields are tolerated.
 */
export async function engineInfo(docker: Dockerode, opts: EngineInfoOptions = {}): Promise<EngineInfo> {
  const abortSignal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(15_000)]) : AbortSignal.timeout(15_000);
  let version: unknown;
  let info: unknown;
  try {
    [version, info] = await Promise.all([
      (docker.version as (o: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal }),
      (docker.info as (o: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal }),
    ]);
  } catch (err) {
    if (opts.signal?.aborted) throw new CanceledError();
    throw asEngineUnreachable(err, docker) ?? new FerryError(`The container engine at ${engineAddress(docker)} did not describe itself: ${(err as Error).message}`, 'See the engine log (journalctl -u docker, or -u podman).');
  }
  const base = engineInfoFrom(version, info);
  if (base.cdiDevices.length > 0) return { ...base, cdiSource: 'engine' };
  const reportedDirs = strings(rec(info).CDISpecDirs);
  const cdiCapable = base.kind === 'podman' || reportedDirs.length > 0;
  const local = typeof (docker.modem as { socketPath?: unknown }).socketPath === 'string';
  if (!cdiCapable || !local) return { ...base, cdiSource: 'none' };
  const dirs = opts.cdiSpecDirs ?? (reportedDirs.length > 0 ? reportedDirs : DEFAULT_CDI_SPEC_DIRS);
  const devices = cdiDevicesFromSpecDirs(dirs);
  return { ...base, cdiDevices: devices, cdiSource: devices.length > 0 ? 'spec-files' : 'none', cdiSpecDirs: dirs };
}

/** Pure part of engineInfo: the engine's /version and /info answers → EngineInfo. */
export function engineInfoFrom(version: unknown, info: unknown): EngineInfo {
  const v = rec(version);
  const i = rec(info);
  const components = Array.isArray(v.Components) ? v.Components.map(rec) : [];
  const podmanComponent = components.find((c) => /podman/i.test(str(c.Name)));
  const platform = str(rec(v.Platform).Name);
  const kind: EngineInfo['kind'] = podmanComponent || /podman/i.test(platform) ? 'podman' : 'docker';
  const engineComponent = podmanComponent ?? components.find((c) => str(c.Name) === 'Engine');
  const ver = str(engineComponent?.Version) || str(v.Version) || str(i.ServerVersion) || 'unknown';
  const apiVersion = str(v.ApiVersion);
  const runtimesObj = rec(i.Runtimes);
  const runtimes = Object.keys(runtimesObj).sort();
  const nvidiaRuntime = runtimes.some((name) => name === 'nvidia' || /nvidia-container-runtime/.test(str(rec(runtimesObj[name]).path)));
  const discovered = Array.isArray(i.DiscoveredDevices) ? i.DiscoveredDevices.map(rec) : [];
  const cdiDevices = uniqueSorted(discovered.filter((d) => !d.Source || str(d.Source) === 'cdi').map((d) => str(d.ID)).filter(isCdiName));
  return { kind, version: ver, ...(apiVersion ? { apiVersion } : {}), runtimes, nvidiaRuntime, cdiDevices };
}

/**
 * Device names (`kind=name`) from the CDI spec files (*.yaml, *.yml, *.json) in `dirs`.
 * Unreadable dirs and malformed files are skipped: this is a best-effort look, the engine decides.
 */
export function cdiDevicesFromSpecDirs(dirs: string[]): string[] {
  const names: string[] = [];
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/i.test(f)).sort();
    } catch {
      continue;
    }
    for (const f of entries) {
      try {
        const path = join(dir, f);
        if (statSync(path).size > MAX_SPEC_BYTES) continue;
        const spec = rec(parseYaml(readFileSync(path, 'utf8')));
        const kind = str(spec.kind);
        if (!/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9_.-]+$/.test(kind) || !Array.isArray(spec.devices)) continue;
        for (const d of spec.devices.map(rec)) {
          const name = str(d.name);
          if (name) names.push(`${kind}=${name}`);
        }
      } catch {
        // not a CDI spec we can read
      }
    }
  }
  return uniqueSorted(names);
}

/** The NVIDIA GPU devices among CDI names. */
export function nvidiaCdiDevices(cdiDevices: string[]): string[] {
  return cdiDevices.filter((d) => d.startsWith('nvidia.com/gpu='));
}

function isCdiName(s: string): boolean {
  return /^[a-zA-Z0-9.-]+\/[a-zA-Z0-9_.-]+=.+$/.test(s);
}

function rec(x: unknown): Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}

function str(x: unknown): string {
  return typeof x === 'string' ? x : typeof x === 'number' ? String(x) : '';
}

function strings(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string' && s !== '') : [];
}

function uniqueSorted(xs: string[]): string[] {
  return [...new Set(xs)].sort();
}
