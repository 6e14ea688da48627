import { isIP } from 'node:net';
import type Dockerode from 'dockerode';
import type { EgressReportView, EgressResultView } from '../../../shared/api-install';
import { CanceledError, UsageError } from '../../../shared/errors';
import { mapLimit } from '../../core/concurrency';
import { PROBE_SCRIPT, PROBE_TOOLS, readProbeOutput, type ProbeOutcome } from './egress-probe';

export interface EgressTarget {
  /** As given, e.g. `10.0.0.1:443` or `https://gitlab.internal.example.com/`. */
  raw: string;
  host: string;
  port: number;
}

const DEFAULT_TIMEOUT_MS = 3000;
/** Beyond the per-target timeout and the in-container watchdog: the exec itself must have ended by then. */
const EXEC_GRACE_MS = 8000;
const MAX_OUTPUT = 64 * 1024;
const CONTAINERS_IN_PARALLEL = 4;

const LABEL = '(?!-)[A-Za-z0-9_-]{1,63}(?<!-)';
const HOSTNAME_RE = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*\\.?$`);

/**
 * From inside each running container, tries a TCP connection to every target: the `outside`
 * ones must be unreachable, the `internal` ones reachable. Targets are probed in parallel per
 * container (a few containers at a time) with whatever tool the image has (see egress-probe.ts).
 * A result is 'reachable' only when a connection was established; a container where no probe
 * can run gives 'error' (never ok).
 */
export async function checkEgress(
  docker: Dockerode,
  containers: { name: string; id: string }[],
  opts: { outside: string[]; internal?: string[]; timeoutMs?: number; signal?: AbortSignal },
): Promise<EgressReportView> {
  if (opts.outside.length === 0) {
    throw new UsageError('egress.outside: no outside target to check', 'Give at least one host:port that must be unreachable from the containers, e.g. a public DNS resolver\'s address and port 53 or a proxy you know of.');
  }
  if (containers.length === 0) throw new UsageError('egress check: no containers to check from', 'Start the stack\'s containers first.');
  const outside = opts.outside.map((t) => parseTarget(t, 'egress.outside', false));
  const internal = (opts.internal ?? []).map((t) => parseTarget(t, 'egress.internal', true));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new UsageError(`egress timeout: must be more than 0 ms, got ${timeoutMs}`);
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const planned = [
    ...outside.map((t) => ({ target: t, expect: 'unreachable' as const })),
    ...internal.map((t) => ({ target: t, expect: 'reachable' as const })),
  ];
  const perContainer = await mapLimit(containers, CONTAINERS_IN_PARALLEL, (c) =>
    Promise.all(
      planned.map(async ({ target, expect }): Promise<EgressResultView> => {
        const probe = await probeFrom(docker, c, target, seconds, opts.signal);
        return toResult(c.name, target, expect, probe, seconds);
      }),
    ),
  );
  if (opts.signal?.aborted) throw new CanceledError();
  const results = perContainer.flat();
  return { ok: results.every((r) => r.ok), checkedAt: new Date().toISOString(), results };
}

/**
 * `host:port` (hostname, IPv4, or [IPv6]), port 1–65535; with `allowUrl` also
 * `http(s)://host[:port]/…` (port 80/443 by default). Anything else is a UsageError naming it.
 */
export function parseTarget(raw: string, field: string, allowUrl: boolean): EgressTarget {
  const bad = (why: string): UsageError =>
    new UsageError(`${field}: bad target ${JSON.stringify(raw)} (${why})`, `Write targets as host:port${allowUrl ? ' or http(s)://host[:port]/' : ''}, e.g. 10.0.0.5:443 or gitlab.example.com:443.`);
  const s = raw.trim();
  let host: string;
  let portText: string;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    if (!allowUrl) throw bad('a URL; use host:port');
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw bad('not a valid URL');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad(`scheme ${u.protocol} is not http or https`);
    host = u.hostname;
    portText = u.port || (u.protocol === 'https:' ? '443' : '80');
  } else {
    const m = /^(\[[^\]]*\]|[^:]*):([^:]*)$/.exec(s);
    if (!m) throw bad('expected host:port');
    host = m[1]!;
    portText = m[2]!;
  }
  if (host.startsWith('[') && host.endsWith(']')) {
    host = host.slice(1, -1);
    if (isIP(host) !== 6) throw bad('not an IPv6 address in brackets');
  } else if (isIP(host) === 0 && !(HOSTNAME_RE.test(host) && !/^[\d.]+$/.test(host))) {
    throw bad(host === '' ? 'no host' : `host "${host}" is not a hostname or IP address`);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw bad(`port "${portText}" is not 1–65535`);
  return { raw, host, port: Number(portText) };
}

function toResult(container: string, target: EgressTarget, expect: EgressResultView['expect'], probe: ProbeOutcome | { error: string }, seconds: number): EgressResultView {
  const base = { container, target: target.raw, expect };
  if ('error' in probe) return { ...base, outcome: 'error', ok: false, detail: probe.error };
  const via = probe.tool ? ` (${probe.tool})` : '';
  let outcome: EgressResultView['outcome'];
  let detail: string;
  switch (probe.result) {
    case 'connected':
      outcome = 'reachable';
      detail = `${container} connected to ${target.host}:${target.port}${via}`;
      break;
    case 'refused':
      outcome = 'unreachable';
      detail = `connection refused${via}`;
      break;
    case 'timeout':
      outcome = 'unreachable';
      detail = `no answer within ${seconds} s${via}`;
      break;
    case 'no-route':
      outcome = 'unreachable';
      detail = `no route to host${via}`;
      break;
    case 'unresolved':
      outcome = 'unreachable';
      detail = `${target.host} does not resolve${via}`;
      break;
    case 'no-tool':
      outcome = 'error';
      detail = `no probe tool in ${container}'s image: none of ${PROBE_TOOLS.join(', ')} is on its PATH`;
      break;
    default:
      outcome = 'error';
      detail = /executable file not found|no such file or directory/i.test(probe.said) && !probe.tool
        ? `${container}'s image has no sh, so no probe can run in it: ${probe.said}`
        : `the probe${via} gave no clear answer: ${probe.said || '(no output)'}`;
  }
  if (outcome === 'unreachable' && probe.said && outcome !== expect) detail += `: ${probe.said}`;
  return { ...base, outcome, ok: outcome === expect, detail };
}

/** Runs the probe script in the container with docker exec and reads its output. */
async function probeFrom(docker: Dockerode, c: { name: string; id: string }, t: EgressTarget, seconds: number, signal?: AbortSignal): Promise<ProbeOutcome | { error: string }> {
  if (signal?.aborted) throw new CanceledError();
  let stream: NodeJS.ReadWriteStream;
  try {
    const exec = await docker.getContainer(c.id).exec({
      Cmd: ['sh', '-c', PROBE_SCRIPT, 'ferry-probe', t.host, String(t.port), String(seconds)],
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadWriteStream;
  } catch (err) {
    if (signal?.aborted) throw new CanceledError();
    return { error: `could not run the probe in ${c.name}: ${firstLine((err as Error).message)}` };
  }
  const text = await collect(docker, stream, seconds * 1000 + EXEC_GRACE_MS, signal);
  if (signal?.aborted) throw new CanceledError();
  if (text === undefined) return { error: `the probe in ${c.name} did not finish within ${seconds + EXEC_GRACE_MS / 1000} s` };
  return readProbeOutput(text);
}

/** Demultiplexed stdout+stderr of an exec, or undefined when it did not end in time. */
function collect(docker: Dockerode, stream: NodeJS.ReadWriteStream, deadlineMs: number, signal?: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    // demuxStream only calls write(): collect synchronously so nothing arrives after 'end'.
    const sink = {
      write: (d: Buffer): boolean => {
        if (text.length < MAX_OUTPUT) text += d.toString('utf8');
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    docker.modem.demuxStream(stream, sink, sink);
    const done = (value: string | undefined): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const stop = (): void => {
      (stream as unknown as { destroy?: () => void }).destroy?.();
    };
    const onAbort = (): void => {
      stop();
      done(undefined);
    };
    const timer = setTimeout(() => {
      stop();
      done(undefined);
    }, deadlineMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('end', () => done(text));
    stream.on('close', () => done(text));
    stream.on('error', () => done(text));
  });
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 300);
}
