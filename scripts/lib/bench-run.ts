// Processes for `npm run bench`: a timed child process (with Ferry's peak RSS when it prints it)
// and dropping the page cache for the honest media-write baseline.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistry } from '../../test/harness/registry';
import type { Timed } from './bench-pairs';

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<Timed> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: [opts.stdin !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${stderr}`));
      const m = /ferry-peak-rss-kib: (\d+)/.exec(stderr);
      resolve({ seconds, stdout, ...(m ? { peakRssMiB: Number(m[1]) / 1024 } : {}) });
    });
  });
}

/**
 * The checkout's CLI as built now (bin/, out/) copied to `app`, beside the checkout's node_modules
 * and resources: a rebuild meanwhile (`npm run build` wipes out/) does not disturb the runs.
 */
export function snapshotBuild(root: string, app: string): string {
  if (!existsSync(join(root, 'out', 'main', 'cli.js'))) throw new Error(`${join(root, 'out/main/cli.js')} is missing: run "npm run build" (or wait for the build under way), then the bench again.`);
  mkdirSync(join(app, 'bin'), { recursive: true });
  cpSync(join(root, 'bin', 'ferry.js'), join(app, 'bin', 'ferry.js'));
  cpSync(join(root, 'package.json'), join(app, 'package.json'));
  cpSync(join(root, 'out'), join(app, 'out'), { recursive: true });
  for (const d of ['node_modules', 'resources']) symlinkSync(join(root, d), join(app, d));
  return app;
}

/** `ferry ARGS` from a build (the checkout, or its snapshot), printing its peak RSS. */
export function ferryCli(root: string): (args: string[], opts?: { env?: NodeJS.ProcessEnv }) => Promise<Timed> {
  return (args, opts = {}) => run(process.execPath, [join(root, 'bin/ferry.js'), ...args], { env: { FERRY_PRINT_PEAK_RSS: '1', ...opts.env } });
}

/**
 * Drops the page cache (`echo 3 > /proc/sys/vm/drop_caches`, root only) so a read-back pass reads
 * the medium, not memory. Returns why it could not, instead of failing the row.
 */
export async function dropCaches(): Promise<Timed & { failed?: string }> {
  const t0 = process.hrtime.bigint();
  let failed: string | undefined;
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
  } catch (err) {
    failed = (err as NodeJS.ErrnoException).code ?? String(err);
  }
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, stdout: '', ...(failed ? { failed } : {}) };
}

/** `oci:LAYOUT:REF` for skopeo: the layout's image whose ref name has the repository `…/name:`. */
export function ociRef(layoutDir: string, name: string): string {
  const index = JSON.parse(readFileSync(join(layoutDir, 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
  const refs = index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).filter((r): r is string => !!r);
  const ref = refs.find((r) => r.includes(`/${name}:`));
  if (!ref) throw new Error(`${join(layoutDir, 'index.json')} names no image …/${name}: (it has ${refs.join(', ') || 'none'})`);
  return `oci:${layoutDir}:${ref}`;
}

/**
 * Runs `push` against a registry started (untimed) for this run alone, as the offline registry is
 * before its first import. A shared registry is not an honest target: skopeo keeps a blob-info cache
 * (/var/lib/containers/cache) across runs and would mount every blob from the previous run's
 * repositories instead of uploading it.
 */
export async function onFreshRegistry(push: (host: string) => Promise<Timed>): Promise<Timed> {
  const registry = await startRegistry();
  try {
    return await push(registry.host);
  } finally {
    await registry.stop();
  }
}
