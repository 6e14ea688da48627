import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
  /** 'not-run': the engine is not installed; 'error': it could not scan (no signature database, failure, timeout). */
  status: 'clean' | 'infected' | 'not-run' | 'error';
  engine?: string;
  detail?: string;
  /** Why it did not run (status 'not-run'). */
  reason?: string;
  /** Date of the signature database used (ClamAV's daily database build time), when the engine says. */
  signaturesDate?: string;
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
export const NO_DATABASE = 'no signature database: ClamAV has no signatures to scan with (run freshclam on a connected machine and copy /var/lib/clamav, or give a database)';
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
      const signaturesDate = opts.database ? await databaseDate(opts.database, exec) : parseSignaturesDate(version.stdout);
      const dated = signaturesDate ? { signaturesDate } : {};
      const r = await exec(cmd, args);
      const detections = parseClamOutput(r.stdout);
      if (detections.length) {
        return { status: 'infected', engine, ...dated, detail: `${detections.length} file(s) matched a signature. ${LIMITS_NOTE}`, detections };
      }
      if (r.code === 0 && !r.failure) return { status: 'clean', engine, ...dated, detail: LIMITS_NOTE, detections };
      const why = r.failure === 'TIMEOUT' ? `timed out after ${Math.round(timeoutMs / 1000)} s` : lastLines(r.stderr || r.stdout) || `exit code ${r.code ?? r.failure}`;
      const noDb = /no supported database|database.*(not found|missing|empty)|cli_loaddb/i.test(why);
      return { status: 'error', engine, ...dated, detail: noDb ? `${NO_DATABASE}. ${cmd} said: ${why}` : `${cmd} failed: ${why}`, detections };
    },
  };
}

/** The date in `clamscan --version` output, "ClamAV 1.0.7/27479/Tue Dec  2 08:11:02 2025"; undefined without a database. */
export function parseSignaturesDate(versionOutput: string): string | undefined {
  const m = /^ClamAV [^/\s]+\/(\d+)\/(.+)$/m.exec(versionOutput.trim());
  return m ? `${m[2].trim().replace(/\s+/g, ' ')} (daily ${m[1]})`.slice(0, 64) : undefined;
}

/** `sigtool --info` of a .cvd/.cld file (or a folder's daily database): its "Build time" line. */
async function databaseDate(db: string, exec: (cmd: string, args: string[], t?: number) => Promise<CommandResult>): Promise<string | undefined> {
  const file = /\.(cvd|cld)$/i.test(db) ? db : ['daily.cld', 'daily.cvd'].map((f) => join(db, f)).find((f) => existsSync(f));
  if (!file) return undefined;
  const r = await exec('sigtool', ['--info', file], 15_000);
  const m = /^Build time:\s*(.+)$/m.exec(r.stdout);
  return m ? m[1].trim().slice(0, 64) : undefined;
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
