import type Dockerode from 'dockerode';
import type { GpuPreflightView } from '../../../shared/api-install';
import { CanceledError, UsageError } from '../../../shared/errors';
import { engineInfo, nvidiaCdiDevices, type EngineInfo } from './engine-info';
import { gpuRequestPlan, PODMAN_MIN_CDI_API, podmanTakesCdiThroughApi } from './gpu-request';
import { queryGpus, type GpuInfo } from './nvidia-smi';

/** vLLM's default --gpu-memory-utilization: the share of each GPU's memory it will claim. */
export const GPU_MEMORY_UTILIZATION = 0.9;
export { PODMAN_MIN_CDI_API };

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

const TOOLKIT_HINT =
  'Install the NVIDIA driver (it brings nvidia-smi) and the NVIDIA Container Toolkit on this host — both install offline from their packages (see the NVIDIA CUDA and Container Toolkit installation guides) — then run the preflight again. For a CPU-only test stack, set gpu to none.';
const MEMORY_HINT =
  'Use a host with more GPU memory, or a smaller model / quantised weights. Usable memory is 90 % of each GPU (vLLM\'s default --gpu-memory-utilization 0.9) minus what other processes already hold; nvidia-smi shows them.';

interface Candidate {
  gpu: GpuInfo;
  usableBytes: number;
}

/**
 * Decides whether this host can run the model on its GPUs. ok only when the engine can hand GPUs
 * to containers, nvidia-smi lists at least one GPU and, with a memory estimate, the model fits.
 * Suggests the tensor-parallel size: the smallest power of two n ≤ the GPU count such that
 * neededBytes ≤ n × the smallest usable memory among the n GPUs with the most usable memory
 * (usable = total × 0.9 − used). With requestedTensorParallel, that size is checked instead.
 */
export function decidePreflight(
  engine: EngineInfo,
  gpus: GpuInfo[] | { error: string },
  opts: { neededBytes?: number; requestedTensorParallel?: number },
): GpuPreflightView {
  const { neededBytes, requestedTensorParallel: tp } = opts;
  if (tp !== undefined && (!Number.isInteger(tp) || tp < 1)) {
    throw new UsageError(`tensor_parallel_size: must be a whole number ≥ 1, got ${String(tp)}`, 'Set it to the number of GPUs to split the model over (1, 2, 4 or 8), or leave it empty to let the preflight suggest one.');
  }
  const list = Array.isArray(gpus) ? gpus : [];
  const view: GpuPreflightView = {
    ok: false,
    engine: { kind: engine.kind, version: engine.version, nvidiaRuntime: engine.nvidiaRuntime, cdiDevices: engine.cdiDevices },
    gpuRequest: gpuRequestPlan(engine.kind, engine.version),
    gpus: list.map((g) => ({ index: g.index, name: g.name, memoryTotalMiB: g.memoryTotalMiB, memoryFreeMiB: g.memoryFreeMiB })),
    ...(neededBytes !== undefined ? { neededBytes } : {}),
    message: '',
  };
  const engineProblem = engineGpuProblem(engine);
  if (!Array.isArray(gpus) || list.length === 0) {
    const why = Array.isArray(gpus) ? 'nvidia-smi lists no GPUs' : gpus.error;
    return { ...view, message: `No NVIDIA GPU found: ${why}.${engineProblem ? ` Also: ${engineProblem.message}` : ''}`, hint: TOOLKIT_HINT };
  }
  if (engineProblem) return { ...view, message: engineProblem.message, hint: engineProblem.hint };

  const ranked: Candidate[] = list.map((gpu) => ({ gpu, usableBytes: usableBytes(gpu) })).sort((a, b) => b.usableBytes - a.usableBytes);
  const count = ranked.length;
  const ready = `${engineNote(engine)}; ${count} GPU${count === 1 ? '' : 's'} (${describe(ranked)})`;
  const fitting = neededBytes === undefined ? undefined : smallestFit(ranked, neededBytes);

  if (tp !== undefined) {
    if (tp > count) {
      const alt = fitting ?? (neededBytes === undefined ? largestPowerOfTwo(count) : undefined);
      return {
        ...view,
        message: `Tensor parallel size ${tp} needs ${tp} GPUs; this host has ${count} (${describe(ranked)}).`,
        hint: alt ? `Use tensor parallel size ${alt}.` : MEMORY_HINT,
      };
    }
    if (neededBytes !== undefined && neededBytes > capacity(ranked, tp)) {
      return {
        ...view,
        message: `The model needs about ${gib(neededBytes)} of GPU memory; tensor parallel size ${tp} gives ${splitText(ranked, tp)}, which is not enough.`,
        hint: fitting ? `Use tensor parallel size ${fitting}: ${splitText(ranked, fitting)}.` : MEMORY_HINT,
      };
    }
    const fit = neededBytes === undefined ? ' No memory estimate in the bundle: the fit was not checked.' : ` The model needs about ${gib(neededBytes)}; tensor parallel size ${tp} gives ${splitText(ranked, tp)}.`;
    return { ...view, ok: true, suggestedTensorParallel: tp, message: `GPUs ready: ${ready}.${fit}` };
  }

  if (neededBytes === undefined) {
    const n = largestPowerOfTwo(count);
    return {
      ...view,
      ok: true,
      suggestedTensorParallel: n,
      message: `GPUs ready: ${ready}. No memory estimate in the bundle: the fit was not checked; tensor parallel size ${n} uses ${n === count ? 'every' : n} GPU${n === 1 ? '' : 's'}.`,
    };
  }
  if (fitting === undefined) {
    const best = bestSplit(ranked);
    const gpusText = `this host's ${count} GPU${count === 1 ? '' : 's'} (${describe(ranked)}) ${count === 1 ? 'is' : 'are'} not enough`;
    const bestText = count === 1 ? '' : `: the best split, tensor parallel size ${best}, gives ${splitText(ranked, best)}`;
    return { ...view, message: `The model needs about ${gib(neededBytes)} of GPU memory; ${gpusText}${bestText}.`, hint: MEMORY_HINT };
  }
  return {
    ...view,
    ok: true,
    suggestedTensorParallel: fitting,
    message: `GPUs ready: ${ready}. The model needs about ${gib(neededBytes)}; tensor parallel size ${fitting} gives ${splitText(ranked, fitting)}.`,
  };
}

/** Asks the engine and nvidia-smi (on this host), then decides. Never a stack trace for a host without GPUs. */
export async function gpuPreflight(
  docker: Dockerode,
  opts: { neededBytes?: number; requestedTensorParallel?: number; nvidiaSmi?: string; signal?: AbortSignal },
): Promise<GpuPreflightView> {
  const [engine, smi] = await Promise.all([engineInfo(docker, { signal: opts.signal }), queryGpus({ bin: opts.nvidiaSmi, signal: opts.signal })]);
  if (opts.signal?.aborted) throw new CanceledError();
  return decidePreflight(engine, 'gpus' in smi ? smi.gpus : smi, opts);
}

/** Why the engine cannot hand NVIDIA GPUs to containers, or undefined when it can. */
function engineGpuProblem(engine: EngineInfo): { message: string; hint: string } | undefined {
  const cdi = nvidiaCdiDevices(engine.cdiDevices);
  if (engine.kind === 'docker') {
    if (engine.nvidiaRuntime || cdi.length > 0) return undefined;
    return {
      message: `Docker ${engine.version} cannot hand GPUs to containers: no nvidia runtime is registered (runtimes: ${engine.runtimes.join(', ') || 'none listed'}) and it lists no CDI nvidia.com/gpu devices.`,
      hint: 'Install the NVIDIA Container Toolkit (it installs offline from its packages), run nvidia-ctk runtime configure --runtime=docker, restart Docker, then run the preflight again.',
    };
  }
  if (/^\d+\.\d+/.test(engine.version) && !podmanTakesCdiThroughApi(engine.version)) {
    return {
      message: `Podman ${engine.version} takes CDI GPU devices only on its command line (podman run ${gpuRequestPlan('podman', engine.version).flags.join(' ')} …); through its Docker-compatible API, which Ferry uses, GPU containers need Podman ${PODMAN_MIN_CDI_API.join('.')} or newer.`,
      hint: `Upgrade Podman to ${PODMAN_MIN_CDI_API.join('.')} or newer (offline packages from your distribution), then run the preflight again.`,
    };
  }
  if (cdi.length > 0) return undefined;
  const where = engine.cdiSpecDirs?.length ? ` in ${engine.cdiSpecDirs.join(', ')}` : '';
  return {
    message: `Cannot tell whether Podman ${engine.version} can hand GPUs to containers: its API lists no CDI devices, and no nvidia.com/gpu CDI spec was found${where || ' (the engine is not on this host, so its CDI spec files cannot be read)'}.`,
    hint: 'Install the NVIDIA Container Toolkit (offline packages) on the Podman host and generate the CDI spec: nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml; nvidia-ctk cdi list shows the devices. Then run the preflight again.',
  };
}

function engineNote(engine: EngineInfo): string {
  const cdi = nvidiaCdiDevices(engine.cdiDevices);
  const how = engine.kind === 'docker' && engine.nvidiaRuntime ? 'the nvidia runtime' : `CDI devices ${cdi.slice(0, 4).join(', ')}${cdi.length > 4 ? ', …' : ''}`;
  return `${engine.kind === 'docker' ? 'Docker' : 'Podman'} ${engine.version} with ${how}`;
}

function usableBytes(g: GpuInfo): number {
  return Math.max(0, g.memoryTotalMiB * GPU_MEMORY_UTILIZATION - g.memoryUsedMiB) * MIB;
}

/** What tensor parallelism over the n best GPUs can hold: n shards, each limited by the smallest of them. */
function capacity(ranked: Candidate[], n: number): number {
  return n * ranked[n - 1]!.usableBytes;
}

function powersOfTwoUpTo(count: number): number[] {
  const out: number[] = [];
  for (let n = 1; n <= count; n *= 2) out.push(n);
  return out;
}

function largestPowerOfTwo(count: number): number {
  return powersOfTwoUpTo(count).at(-1)!;
}

function smallestFit(ranked: Candidate[], neededBytes: number): number | undefined {
  return powersOfTwoUpTo(ranked.length).find((n) => neededBytes <= capacity(ranked, n));
}

function bestSplit(ranked: Candidate[]): number {
  return powersOfTwoUpTo(ranked.length).reduce((best, n) => (capacity(ranked, n) > capacity(ranked, best) ? n : best), 1);
}

function splitText(ranked: Candidate[], n: number): string {
  const per = ranked[n - 1]!.usableBytes;
  return n === 1 ? `${gib(per)} usable on one GPU` : `${n} × ${gib(per)} = ${gib(n * per)} usable`;
}

/** "NVIDIA A10, 20.2 GiB usable" or "2 × NVIDIA A10, 20.2 GiB usable each" or "… 18.0–20.2 GiB usable". */
function describe(ranked: Candidate[]): string {
  const names = new Map<string, number>();
  for (const c of ranked) names.set(c.gpu.name, (names.get(c.gpu.name) ?? 0) + 1);
  const nameText = [...names].map(([name, n]) => (n === 1 ? name : `${n} × ${name}`)).join(' + ');
  const hi = ranked[0]!.usableBytes;
  const lo = ranked.at(-1)!.usableBytes;
  const same = gib(hi) === gib(lo);
  const usable = same ? `${gib(hi)} usable${ranked.length > 1 ? ' each' : ''}` : `${gib(lo).replace(' GiB', '')}–${gib(hi)} usable`;
  return `${nameText}, ${usable}`;
}

function gib(bytes: number): string {
  return `${(bytes / GIB).toFixed(1)} GiB`;
}
