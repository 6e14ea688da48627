import type Dockerode from 'dockerode';
import type { EngineGpuView, EngineStatusView } from '../../../shared/channels/engine';
import { CanceledError } from '../../../shared/errors';
import { dockerFromEnv } from '../../docker/docker-loader';
import { describeEngineProblem, engineAddress, engineProblemOf, engineUnreachableError, startCommands, type EngineProblem } from './engine-errors';
import { engineInfo, nvidiaCdiDevices, type EngineInfo } from './engine-info';
import { gpuRequestPlan } from './gpu-request';

// Which engine Ferry will use (Docker or Podman, where, which version, how it hands out GPUs),
// or that none answers and how to start one. The status item, `ferry engine status` and the
// install's engine gate all ask here.

const PING_MS = 5_000;

export interface EngineStatusOptions {
  /** unix:///path, /path or tcp://host:port; default DOCKER_HOST, else the platform's socket. */
  dockerHost?: string;
  env?: NodeJS.ProcessEnv;
  /** CDI spec dirs to read instead of the engine's (tests). */
  cdiSpecDirs?: string[];
  signal?: AbortSignal;
}

/** The status of the engine at `dockerHost` / DOCKER_HOST / the default socket. Never throws for an engine that is not there. */
export async function engineStatus(opts: EngineStatusOptions = {}): Promise<EngineStatusView> {
  const env = opts.env ?? process.env;
  const fromEnv = env.DOCKER_HOST?.trim();
  const source: EngineStatusView['source'] = opts.dockerHost ? 'argument' : fromEnv ? 'DOCKER_HOST' : 'default';
  return statusOf(dockerFromEnv(opts.dockerHost ?? fromEnv), source, opts);
}

/** The status of the engine behind an existing client. */
export async function statusOf(docker: Dockerode, source: EngineStatusView['source'], opts: Pick<EngineStatusOptions, 'cdiSpecDirs' | 'signal'> = {}): Promise<EngineStatusView> {
  const address = engineAddress(docker);
  const down = await pingEngine(docker, opts.signal);
  if (down) return unreachableView(address, source, down.problem);
  let info: EngineInfo;
  try {
    info = await engineInfo(docker, { ...(opts.cdiSpecDirs ? { cdiSpecDirs: opts.cdiSpecDirs } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (err) {
    if (err instanceof CanceledError) throw err;
    const problem = engineProblemOf(err) ?? 'not-answering';
    return unreachableView(address, source, problem);
  }
  const gpu = gpuView(info);
  const name = info.kind === 'podman' ? 'Podman' : 'Docker';
  const gpuText = gpu.ready ? (gpu.nvidiaRuntime && info.kind === 'docker' ? 'nvidia runtime' : `CDI ${gpu.cdiDevices.join(', ')}`) : 'no GPU runtime or CDI devices';
  return {
    reachable: true,
    address,
    source,
    kind: info.kind,
    version: info.version,
    ...(info.apiVersion ? { apiVersion: info.apiVersion } : {}),
    gpu,
    message: `${name} ${info.version} at ${address}; GPUs: ${gpuText}.`,
  };
}

function gpuView(info: EngineInfo): EngineGpuView {
  const cdi = nvidiaCdiDevices(info.cdiDevices);
  return {
    nvidiaRuntime: info.nvidiaRuntime,
    runtimes: info.runtimes,
    cdiDevices: cdi,
    cdiSource: info.cdiSource ?? (info.cdiDevices.length > 0 ? 'engine' : 'none'),
    ...(info.cdiSpecDirs ? { cdiSpecDirs: info.cdiSpecDirs } : {}),
    ready: (info.kind === 'docker' && info.nvidiaRuntime) || cdi.length > 0,
    request: gpuRequestPlan(info.kind, info.version),
  };
}

function unreachableView(address: string, source: EngineStatusView['source'], problem: EngineProblem): EngineStatusView {
  const start = startCommands(problem);
  return { reachable: false, address, source, problem: describeEngineProblem(problem, address), start, message: `No container engine reachable at ${address}: ${describeEngineProblem(problem, address)}.` };
}

/** Pings the engine; what is wrong when it does not answer, undefined when it does. */
export async function pingEngine(docker: Dockerode, signal?: AbortSignal, timeoutMs = PING_MS): Promise<{ problem: EngineProblem; detail: string } | undefined> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const abortSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    await (docker.ping as (o: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal });
    return undefined;
  } catch (err) {
    if (signal?.aborted) throw new CanceledError();
    if (timeout.aborted) return { problem: 'not-answering', detail: `no answer to /_ping within ${timeoutMs / 1000} s` };
    // An HTTP error is an answer, but not from an engine Ferry can use.
    return { problem: engineProblemOf(err) ?? 'not-answering', detail: (err as Error).message };
  }
}

/** Throws the engine-unreachable error (what is wrong, how to start one) unless the engine answers. */
export async function requireEngine(docker: Dockerode, signal?: AbortSignal): Promise<void> {
  const down = await pingEngine(docker, signal);
  if (down) throw engineUnreachableError(down.problem, engineAddress(docker), down.detail);
}
