/**
 * How a container asks for NVIDIA GPUs, per engine — as the API's HostConfig and as the
 * equivalent `docker run` / `podman run` flags shown to the admin (GitLab's offline Duo
 * Self-Hosted page: `--gpus all`; for Podman `--device nvidia.com/gpu=all --security-opt label=disable`).
 *
 * Docker: a device request for the built-in `nvidia` driver (what `--gpus` sends), served by the
 * NVIDIA Container Toolkit. Count -1 means all GPUs.
 *
 * Podman: GPUs are CDI devices (`nvidia.com/gpu=all`, `nvidia.com/gpu=0`, …, from the spec that
 * `nvidia-ctk cdi generate` writes to /etc/cdi). Podman's Docker-compatible create endpoint
 * ignores `nvidia` device requests and `HostConfig.Runtime`; it turns each
 * `HostConfig.Devices[].PathOnHost` into "host:container:perms", which older releases then
 * treat as a file path ("stat nvidia.com/gpu=all: no such file or directory"). What it does
 * honour (Podman 5.4 and newer, pkg/api/handlers/compat/containers_create.go) is a device
 * request with Driver "cdi": its DeviceIDs are passed on as `--device` values, i.e. CDI names.
 * That is also the shape Docker itself uses for CDI devices (Driver "cdi", capability "cdi"),
 * so the request means the same thing on either engine. SELinux labels are disabled
 * (`label=disable`) because the seed requires it on SELinux-enforcing hosts for device access.
 */

import { UsageError } from '../../../shared/errors';

export type EngineKind = 'docker' | 'podman';
export type GpuSelection = 'all' | number;

/** Podman's Docker-compatible API passes CDI device requests on from this release (see above). */
export const PODMAN_MIN_CDI_API = [5, 4] as const;

/** How this engine will be asked for GPUs: through the API Ferry uses, or only on the engine's own command line. */
export interface GpuRequestPlan {
  via: 'api' | 'command';
  /** The equivalent run flags (--gpus all, or --device nvidia.com/gpu=all --security-opt label=disable). */
  flags: string[];
  /** One sentence for the status item and the preflight. */
  text: string;
}

/** Whether a Podman version (e.g. "4.3.1") takes CDI device requests through its Docker-compatible API. */
export function podmanTakesCdiThroughApi(version: string): boolean {
  const v = /^(\d+)\.(\d+)/.exec(version);
  if (!v) return false;
  const [major, minor] = [Number(v[1]), Number(v[2])];
  return major > PODMAN_MIN_CDI_API[0] || (major === PODMAN_MIN_CDI_API[0] && minor >= PODMAN_MIN_CDI_API[1]);
}

/** The GPU request Ferry will use on this engine and version, stated for the admin. */
export function gpuRequestPlan(kind: EngineKind, version: string, gpu: GpuSelection = 'all'): GpuRequestPlan {
  const flags = gpuRunFlags(kind, gpu);
  if (kind === 'docker') {
    return { via: 'api', flags, text: `Docker ${version}: an nvidia device request through the API (what docker run ${flags.join(' ')} sends).` };
  }
  if (podmanTakesCdiThroughApi(version)) {
    return { via: 'api', flags, text: `Podman ${version}: CDI devices through the API (${cdiNames(gpu).join(', ')}, label=disable), as podman run ${flags.join(' ')} does.` };
  }
  return {
    via: 'command',
    flags,
    text: `Podman ${version} takes CDI devices only on its command line (through the API from ${PODMAN_MIN_CDI_API.join('.')}): a GPU container runs as podman run ${flags.join(' ')} …`,
  };
}

export function gpuHostConfig(kind: EngineKind, gpu: GpuSelection): Record<string, unknown> {
  const count = checkGpu(gpu);
  if (kind === 'docker') {
    return { DeviceRequests: [{ Driver: 'nvidia', Count: count === 'all' ? -1 : count, Capabilities: [['gpu']] }] };
  }
  return {
    DeviceRequests: [{ Driver: 'cdi', Count: 0, DeviceIDs: cdiNames(count), Capabilities: [['cdi']] }],
    SecurityOpt: ['label=disable'],
  };
}

export function gpuRunFlags(kind: EngineKind, gpu: GpuSelection): string[] {
  const count = checkGpu(gpu);
  if (kind === 'docker') return ['--gpus', count === 'all' ? 'all' : String(count)];
  return [...cdiNames(count).flatMap((name) => ['--device', name]), '--security-opt', 'label=disable'];
}

/** CDI names for the first n GPUs (nvidia-ctk names them by index), or the `all` device. */
function cdiNames(gpu: GpuSelection): string[] {
  if (gpu === 'all') return ['nvidia.com/gpu=all'];
  return Array.from({ length: gpu }, (_, i) => `nvidia.com/gpu=${i}`);
}

function checkGpu(gpu: GpuSelection): GpuSelection {
  if (gpu === 'all') return gpu;
  if (!Number.isInteger(gpu) || gpu < 1) {
    throw new UsageError(`gpu: must be "all" or a whole number of GPUs ≥ 1, got ${String(gpu)}`, 'Set the container\'s gpu to "all" or to the number of GPUs it needs.');
  }
  return gpu;
}
