import type Dockerode from 'dockerode';
import { request } from 'undici';
import { CanceledError, FerryError } from '../../../shared/errors';
import { containerLogs, demux, recipeNameOf } from './container-runner';
import { sleep } from '../../core/sleep';

// Waits for a container's health checks, in order: each polled with backoff until it passes
// or the deadline. HTTP checks run from the install host (as the admin's curl would); `cmd`
// checks run inside the container. A container that stops meanwhile fails the wait at once,
// with its exit code and log tail.

export interface HealthCheck {
  http?: string;
  cmd?: string[];
  /** Default: any 2xx (http), exit code 0 (cmd). */
  expectStatus?: number;
  /** Substring the body (or the command output) must contain. */
  expectBody?: string;
  /** This check's own limit (the recipe's `timeout`), within the overall one. */
  timeoutMs?: number;
  /** The container's recipe name, for messages. */
  name?: string;
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onAttempt?: (check: HealthCheck, detail: string) => void;
  docker?: Dockerode;
  containerId?: string;
  isRunning?: () => Promise<boolean>;
}

export type HealthResult = { check: string; status?: number; ms: number };

const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 5000;
const ATTEMPT_MS = 3000;
const MIN_ATTEMPT_MS = 1000;
const MAX_BODY = 1 << 20;
const LOG_LINES = 20;

interface Attempt {
  ok: boolean;
  status?: number;
  detail: string;
}

export function describeCheck(c: HealthCheck): string {
  if (c.http) return `GET ${c.http}`;
  return `exec ${(c.cmd ?? []).join(' ')}`;
}

/** Resolves when every check passed; throws FerryError on timeout or when the container stops. */
export async function waitHealthy(checks: HealthCheck[], opts: WaitOptions): Promise<{ ok: true; results: HealthResult[] }> {
  const deadline = Date.now() + opts.timeoutMs;
  const results: HealthResult[] = [];
  for (const check of checks) {
    const started = Date.now();
    const until = Math.min(deadline, check.timeoutMs !== undefined ? started + check.timeoutMs : deadline);
    let delay = FIRST_DELAY_MS;
    let last: Attempt = { ok: false, detail: 'not tried' };
    for (;;) {
      if (opts.signal?.aborted) throw new CanceledError();
      last = await attempt(check, opts, Math.min(ATTEMPT_MS, Math.max(MIN_ATTEMPT_MS, until - Date.now())));
      if (last.ok) {
        results.push({ check: describeCheck(check), ...(last.status !== undefined ? { status: last.status } : {}), ms: Date.now() - started });
        break;
      }
      opts.onAttempt?.(check, last.detail);
      await failIfStopped(check, opts);
      const left = until - Date.now();
      if (left <= 0) throw timeoutError(check, last, until - started);
      await sleep(Math.min(delay, left), opts.signal);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
  return { ok: true, results };
}

async function attempt(check: HealthCheck, opts: WaitOptions, ms: number): Promise<Attempt> {
  try {
    if (check.http) return await httpAttempt(check, opts.signal, ms);
    if (check.cmd) return await execAttempt(check, opts, ms);
    return { ok: false, detail: 'the check has neither http nor cmd' };
  } catch (err) {
    if (opts.signal?.aborted) throw new CanceledError();
    if (err instanceof FerryError) throw err;
    return { ok: false, detail: errorDetail(err, ms) };
  }
}

function errorDetail(err: unknown, ms: number): string {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return `no answer within ${(ms / 1000).toFixed(1)} s`;
  return `${code ? `${code}: ` : ''}${e.message ?? String(err)}`;
}

function statusOk(check: HealthCheck, status: number): boolean {
  return check.expectStatus !== undefined ? status === check.expectStatus : status >= 200 && status < 300;
}

async function httpAttempt(check: HealthCheck, signal: AbortSignal | undefined, ms: number): Promise<Attempt> {
  const timeout = AbortSignal.timeout(ms);
  const res = await request(check.http!, {
    method: 'GET',
    headersTimeout: ms,
    bodyTimeout: ms,
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  let body = '';
  for await (const chunk of res.body) {
    body += (chunk as Buffer).toString('utf8');
    if (body.length > MAX_BODY) {
      res.body.destroy();
      break;
    }
  }
  const status = res.statusCode;
  if (!statusOk(check, status)) return { ok: false, status, detail: `HTTP ${status}${check.expectStatus ? ` (expected ${check.expectStatus})` : ''}` };
  if (check.expectBody !== undefined && !body.includes(check.expectBody)) {
    return { ok: false, status, detail: `HTTP ${status}, but the response does not contain "${check.expectBody}": ${body.slice(0, 200)}` };
  }
  return { ok: true, status, detail: `HTTP ${status}` };
}

async function execAttempt(check: HealthCheck, opts: WaitOptions, ms: number): Promise<Attempt> {
  if (!opts.docker || !opts.containerId) throw new FerryError(`Health check "${describeCheck(check)}" runs inside the container, but no container was given`);
  const exec = await opts.docker.getContainer(opts.containerId).exec({ Cmd: check.cmd, AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream & { destroy(): void };
  const chunks: Buffer[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    stream.destroy();
  }
  const output = demux(Buffer.concat(chunks)).trim();
  const code = (await exec.inspect()).ExitCode ?? -1;
  const want = check.expectStatus ?? 0;
  if (code !== want) return { ok: false, status: code, detail: `exit code ${code}${output ? `: ${output.slice(-300)}` : ''}` };
  if (check.expectBody !== undefined && !output.includes(check.expectBody)) {
    return { ok: false, status: code, detail: `the output does not contain "${check.expectBody}": ${output.slice(-200)}` };
  }
  return { ok: true, status: code, detail: 'exit code 0' };
}

async function failIfStopped(check: HealthCheck, opts: WaitOptions): Promise<void> {
  if (!opts.isRunning && !(opts.docker && opts.containerId)) return;
  let running = true;
  let info: Dockerode.ContainerInspectInfo | undefined;
  if (opts.docker && opts.containerId) {
    try {
      info = await opts.docker.getContainer(opts.containerId).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) {
        throw new FerryError(`${check.name ?? 'The container'} was removed while waiting for it to become healthy`, 'Run the container step again.');
      }
      throw err;
    }
    running = info.State.Running && !info.State.Restarting;
  }
  if (opts.isRunning) running = await opts.isRunning();
  if (running) return;
  const name = info ? recipeNameOf(info) : (check.name ?? 'The container');
  const tail = opts.docker && opts.containerId ? await containerLogs(opts.docker, opts.containerId, LOG_LINES).catch(() => []) : [];
  const code = info ? ` with code ${info.State.ExitCode}` : '';
  throw new FerryError(
    `${name} exited${code}${tail.length ? `: ${tail.join('\n')}` : ''}`,
    `The container stopped before "${describeCheck(check)}" passed; its log says why. Fix the cause and run the container step again.`,
  );
}

function timeoutError(check: HealthCheck, last: Attempt, waitedMs: number): FerryError {
  const who = check.name ? ` (${check.name})` : '';
  return new FerryError(
    `Health check "${describeCheck(check)}"${who} did not pass within ${Math.ceil(waitedMs / 1000)} s; last result: ${last.detail}`,
    'Check the container log. vLLM can take many minutes to load large weights: if the log shows it is still loading, raise the health timeout and run the health step again.',
  );
}


