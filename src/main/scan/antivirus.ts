import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { CanceledError } from '../../shared/errors';

export interface CommandResult {
  /** Exit code; null when the process was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not run or was stopped: 'ENOENT' (not installed), 'TIMEOUT', 'ABORTED', … */
  failure?: string;
}

export type CommandRunner = (cmd: string, args: string[], opts: { signal?: AbortSignal; timeoutMs: number }) => Promise<CommandResult>;

export interface AntivirusDetection {
  /** As printed by the scanner (absolute). */
  file: string;
  signature: string;
}

export interface AntivirusResult {
  status: 'clean' | 'infected' | 'not-run' | 'error';
  engine?: string;
  detail?: string;
  /** Why it did not run (status 'not-run'). */
  reason?: string;
  detections: AntivirusDetection[];
}

export interface AntivirusRunner {
  scan(paths: string[], opts?: { signal?: AbortSignal }): Promise<AntivirusResult>;
}

export interface ClamavOptions {
  run?: CommandRunner;
  /** A signature database (file or folder) for `clamscan -d`; skips clamd, which has its own. */
  database?: string;
  timeoutMs?: number;
}

export const NOT_INSTALLED = 'ClamAV is not installed (apt-get install clamav)';
const LIMITS_NOTE = 'ClamAV skips files above its size limits (by default 100 MiB per file), so large weight files are covered by the pickle and safetensors checks only.';
const MAX_OUTPUT = 16 << 20;

/** Runs a program without a shell, output bounded, with a timeout and cancellation. */
export const runCommand: CommandRunner = (cmd, args, opts) =>
  new Promise((done) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: MAX_OUTPUT, timeout: opts.timeoutMs, signal: opts.signal, windowsHide: true }, (err, stdout, stderr) => {
      if (!err) return done({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
      const failure =
        e.name === 'AbortError' ? 'ABORTED' : typeof e.code === 'string' ? e.code : e.killed ? 'TIMEOUT' : undefined;
      done({ code: typeof e.code === 'number' ? e.code : null, stdout: String(stdout ?? ''), stderr: String(stderr ?? ''), ...(failure ? { failure } : {}) });
    });
  });

/** ClamAV: `clamdscan --fdpass` when a clamd daemon answers a ping, else `clamscan`; never silently skipped. */
export function clamav(opts: ClamavOptions = {}): AntivirusRunner {
  const run = opts.run ?? runCommand;
  const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  return {
    async scan(paths, { signal } = {}) {
      const targets = paths.map((p) => resolve(p));
      const exec = async (cmd: string, args: string[], t = timeoutMs): Promise<CommandResult> => {
        const r = await run(cmd, args, { signal, timeoutMs: t });
        if (r.failure === 'ABORTED' || signal?.aborted) throw new CanceledError('Scan canceled');
        return r;
      };
      let cmd = 'clamscan';
      let args = ['--no-summary', '--infected', '--recursive', ...(opts.database ? ['--database', opts.database] : []), ...targets];
      if (!opts.database) {
        const ping = await exec('clamdscan', ['--ping', '1'], 15_000);
        if (ping.code === 0 && !ping.failure) {
          cmd = 'clamdscan';
          args = ['--no-summary', '--infected', '--fdpass', ...targets];
        }
      }
      const version = await exec(cmd, ['--version'], 15_000);
      if (version.failure === 'ENOENT') return { status: 'not-run', reason: NOT_INSTALLED, detections: [] };
      const engine = `${firstLine(version.stdout) || 'ClamAV'} (${cmd})`;
      const r = await exec(cmd, args);
      const detections = parseClamOutput(r.stdout);
      if (detections.length) {
        return { status: 'infected', engine, detail: `${detections.length} file(s) matched a signature. ${LIMITS_NOTE}`, detections };
      }
      if (r.code === 0 && !r.failure) return { status: 'clean', engine, detail: LIMITS_NOTE, detections };
      const why = r.failure === 'TIMEOUT' ? `timed out after ${Math.round(timeoutMs / 1000)} s` : lastLines(r.stderr || r.stdout) || `exit code ${r.code ?? r.failure}`;
      return { status: 'error', engine, detail: `${cmd} failed: ${why}${/database/i.test(why) ? ' (no signatures: run freshclam on a connected machine and copy /var/lib/clamav)' : ''}`, detections };
    },
  };
}

/** `PATH: Signature.Name FOUND` lines. */
export function parseClamOutput(stdout: string): AntivirusDetection[] {
  const out: AntivirusDetection[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(.*): (\S+) FOUND$/.exec(line.trimEnd());
    if (m && out.length < 10_000) out.push({ file: m[1], signature: m[2] });
  }
  return out;
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? '').trim().slice(0, 120);
}

function lastLines(s: string): string {
  const t = s.trim().split('\n').slice(-3).join(' | ');
  return t.length > 500 ? `${t.slice(0, 499)}…` : t;
}
