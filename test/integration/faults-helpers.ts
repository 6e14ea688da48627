// Shared by the fault suite (faults-*.test.ts): the CLI as its own process (killable), fast retry and
// stall settings, and a seeded random source so "kill at a random point" is reproducible.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
/** The built CLI (npm run build); FERRY_TEST_CLI may point at another build of the same sources. */
const ENTRY = process.env.FERRY_TEST_CLI ?? join(ROOT, 'out', 'main', 'cli.js');

/** Retries back off from 10 ms and a silent peer counts as stalled after 5 s (tests of stalls set less), so faults cost little time. */
export const FAST_FAULTS: NodeJS.ProcessEnv = { FERRY_RETRY_BASE_MS: '10', FERRY_STALL_TIMEOUT_MS: '5000' };
/** For tests of stalls: a silent peer counts as stalled after 400 ms. */
export const QUICK_STALL: NodeJS.ProcessEnv = { FERRY_STALL_TIMEOUT_MS: '400' };

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

export interface Running {
  child: ChildProcess;
  done: Promise<Finished>;
  /** Set once the process has exited. */
  exited?: Finished;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Running {
  if (!existsSync(ENTRY)) throw new Error(`The CLI is not built (${ENTRY}): run "npm run build" first (npm test does).`);
  const code = `require(${JSON.stringify(ENTRY)}).main(['node', 'ferry', ...process.argv.slice(1)]).then((c) => process.exit(c))`;
  const child = spawn(process.execPath, ['-e', code, ...args], { env: { ...process.env, ...FAST_FAULTS, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin!.end(input ?? '');
  const done = new Promise<Finished>((r) =>
    child.on('close', (code, signal) => r({ code, signal, stdout, stderr, json: <T>() => JSON.parse(stdout) as T })),
  );
  const running: Running = { child, done };
  void done.then((f) => (running.exited = f));
  return running;
}

export const cli = (args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<Finished> => spawnCli(args, env, input).done;

/** mulberry32: a small seeded PRNG, so a failing kill point can be replayed from the seed in the test name. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Resolves once `probe` returns true, polling every 5 ms (state on disk, not the clock, decides); fails early if `run` exits first. */
export async function until(probe: () => boolean, what: string, run?: Running, limitMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!probe()) {
    if (run?.exited) throw new Error(`The process exited (code ${run.exited.code}) before ${what}: ${run.exited.stderr.slice(-2000)}`);
    if (Date.now() - start > limitMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Files under `dir` (recursively), relative, with their sizes; safe to call while a process renames files there. */
export function listFiles(dir: string, base = dir): Map<string, number> {
  const out = new Map<string, number>();
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out; // not there (yet, or any more)
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) for (const [k, v] of listFiles(p, base)) out.set(k, v);
    else if (e.isFile()) {
      const size = statSync(p, { throwIfNoEntry: false })?.size;
      if (size !== undefined) out.set(p.slice(base.length + 1), size);
    }
  }
  return out;
}
