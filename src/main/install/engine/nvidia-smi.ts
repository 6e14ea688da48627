import { spawn } from 'node:child_process';
import { FerryError } from '../../../shared/errors';

/** One GPU as nvidia-smi lists it. Memory in MiB, as nvidia-smi reports it with `nounits`. */
export interface GpuInfo {
  index: number;
  name: string;
  uuid: string;
  memoryTotalMiB: number;
  memoryUsedMiB: number;
  memoryFreeMiB: number;
  driverVersion: string;
}

export const NVIDIA_SMI_QUERY = ['--query-gpu=index,name,uuid,memory.total,memory.used,memory.free,driver_version', '--format=csv,noheader,nounits'];
const DEFAULT_TIMEOUT_MS = 15_000;
const MAX_OUTPUT = 1 << 20;

/**
 * Parses the output of
 * `nvidia-smi --query-gpu=index,name,uuid,memory.total,memory.used,memory.free,driver_version --format=csv,noheader,nounits`
 * (one GPU per line, fields separated by ", "). Blank lines are skipped; a line that does not have
 * the seven fields, or whose index / memory.total is not a number, is a FerryError naming the line.
 * "[N/A]" for memory.used or memory.free (seen on some virtualised GPUs) is derived from the other two.
 */
export function parseNvidiaSmi(csv: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  const lines = csv.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const bad = (why: string): FerryError =>
      new FerryError(`nvidia-smi output line ${i + 1} is not a GPU line (${why}): "${line.slice(0, 200)}"`, 'Run nvidia-smi on the host: it should list each GPU as index, name, uuid, memory.total, memory.used, memory.free, driver_version.');
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length !== 7) throw bad(`expected 7 fields, found ${fields.length}`);
    const [indexS, name, uuid, totalS, usedS, freeS, driverVersion] = fields as [string, string, string, string, string, string, string];
    const index = mib(indexS);
    const total = mib(totalS);
    if (index === undefined || !Number.isInteger(index)) throw bad(`index "${indexS}" is not a number`);
    if (total === undefined || total <= 0) throw bad(`memory.total "${totalS}" is not a number of MiB`);
    let used = mib(usedS);
    let free = mib(freeS);
    if (used === undefined && free === undefined) throw bad('memory.used and memory.free are both missing');
    used ??= Math.max(0, total - free!);
    free ??= Math.max(0, total - used);
    if (name === '') throw bad('empty name');
    gpus.push({ index, name, uuid, memoryTotalMiB: total, memoryUsedMiB: used, memoryFreeMiB: free, driverVersion });
  });
  return gpus;
}

function mib(s: string): number | undefined {
  if (!/^\d+(\.\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/**
 * Runs nvidia-smi on this host and parses its GPU list. Never throws for a host without GPUs:
 * a missing binary, a failing driver or a timeout comes back as `{ error }` in plain words.
 */
export async function queryGpus(opts: { bin?: string; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<{ gpus: GpuInfo[] } | { error: string }> {
  const bin = opts.bin ?? 'nvidia-smi';
  const r = await runCapture(bin, NVIDIA_SMI_QUERY, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, opts.signal);
  if (r.kind === 'enoent') return { error: `nvidia-smi is not installed (${bin} was not found on this host)` };
  if (r.kind === 'spawn-error') return { error: `nvidia-smi could not be started: ${r.message}` };
  if (r.kind === 'timeout') {
    const ms = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return { error: `nvidia-smi did not answer within ${ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`}` };
  }
  if (r.kind === 'aborted') return { error: 'nvidia-smi was canceled' };
  if (r.code !== 0) {
    const said = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(0, 5).join(' ').trim();
    return { error: said ? `nvidia-smi failed: ${said}` : `nvidia-smi exited with status ${r.code ?? r.signal}` };
  }
  try {
    return { gpus: parseNvidiaSmi(r.stdout) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

type Capture =
  | { kind: 'exit'; code: number | null; signal: string | null; stdout: string; stderr: string }
  | { kind: 'enoent' }
  | { kind: 'spawn-error'; message: string }
  | { kind: 'timeout' }
  | { kind: 'aborted' };

function runCapture(bin: string, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<Capture> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve({ kind: 'aborted' });
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (c: Capture): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(c);
    };
    const onAbort = (): void => {
      child.kill('SIGKILL');
      finish({ kind: 'aborted' });
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ kind: 'timeout' });
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString('utf8');
    });
    child.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ENOENT' ? { kind: 'enoent' } : { kind: 'spawn-error', message: err.message }));
    child.on('close', (code, sig) => finish({ kind: 'exit', code, signal: sig, stdout, stderr }));
  });
}
