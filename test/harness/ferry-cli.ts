import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin', 'ferry.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: <T = unknown>() => T;
}

/** Runs the built `ferry` CLI as a user would, in its own process. */
export async function ferry(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliRun> {
  if (!existsSync(join(ROOT, 'out', 'main', 'cli.js'))) throw new Error('The CLI is not built: run "npm run build" first (npm test does).');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.stdin.end(opts.input ?? '');
    child.on('close', (code) =>
      resolvePromise({ code: code ?? -1, stdout, stderr, json: <T>() => JSON.parse(stdout) as T }),
    );
  });
}
