import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CanceledError, FerryError, UsageError } from '../../shared/errors';
import { FERRY_VERSION } from '../core/version';
import { bundleCli, bundleStart, rendererInputs } from './kit-bundle';
import { bundledPackages, writeLicenses } from './kit-licenses';
import {
  KIT_CLI,
  KIT_ENTRY,
  KIT_LICENSES_DIR,
  KIT_NODE,
  KIT_QUICK_FILE,
  KIT_RECIPES_DIR,
  KIT_RENDERER_DIR,
  QUICK_CHECKED,
  kitSummary,
  launcherScript,
} from './kit-layout';
import { KIT_FILE, KIT_FORMAT, KIT_LAUNCHER, KitManifestSchema, type KitFile, type KitManifest, type KitPlatform, type KitSummary } from './kit-schema';
import { hostPlatform } from './kit-self-check';
import { readKit } from './kit-read';
import { quickDigest, verifyKit } from './kit-verify';
import { nodeRuntime, type NodeRuntime } from './node-runtime';
import { runningKit } from './running-kit';

export interface BuildKitOptions {
  /** The kit folder to create (must not exist, or be empty). */
  out: string;
  /** Default: this host's platform. */
  platform?: KitPlatform;
  /** Where Node.js runtimes are cached (nodeRuntime's cacheDir). */
  cacheDir: string;
  /** Minify app/cli.cjs (smaller, faster to load; stack traces less readable). Default: true. */
  minify?: boolean;
  onProgress?: (msg: string) => void;
  signal?: AbortSignal;
}

export interface BuiltKit {
  dir: string;
  manifest: KitManifest;
  sha256: string;
  summary: KitSummary;
}

/** The Ferry source checkout this code runs from (package.json named ferry with src/main/cli), if any. */
export function checkoutRoot(): string | undefined {
  for (let dir = __dirname, i = 0; i < 6; i++, dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (!existsSync(pkg) || !existsSync(join(dir, 'src', 'main', 'cli', 'index.ts'))) continue;
    try {
      if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'ferry') return dir;
    } catch {
      /* not ours */
    }
  }
  return undefined;
}

/** `git rev-parse HEAD` of the checkout (with `+dirty` when tracked files differ from it), else 'unknown'. */
export function checkoutCommit(root: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return /^[0-9a-f]{40,64}$/.test(head) ? `${head}${dirty ? '+dirty' : ''}` : 'unknown';
  } catch {
    return 'unknown';
  }
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Every regular file under `dir`, relative with `/`, sorted; a link or special file is refused. */
async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(rel ? join(dir, rel) : dir, { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, p)));
    else if (e.isFile()) out.push(p);
    else throw new FerryError(`${join(dir, p)} is not a regular file or folder; a kit holds only regular files`);
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Copies a folder of regular files (refusing links), keeping nothing but contents and the exec bit. */
async function copyTree(from: string, to: string): Promise<void> {
  for (const rel of await listFiles(from)) {
    await mkdir(dirname(join(to, rel)), { recursive: true });
    await copyFile(join(from, rel), join(to, rel));
  }
}

function checkSignal(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CanceledError();
}

/** DIR must not exist or be empty; DIR.partial must not exist (never remove what Ferry did not create). */
async function prepareOut(out: string): Promise<string> {
  const dir = resolve(out);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} exists and is not a folder`, 'Choose a new folder for --out.');
    if ((await readdir(dir)).length > 0) throw new UsageError(`${dir} is not empty`, 'Choose a new or empty folder for --out.');
  }
  const partial = `${dir}.partial`;
  if (existsSync(partial)) throw new UsageError(`${partial} exists (an earlier kit build was interrupted)`, `Remove ${partial} and run the build again.`);
  await mkdir(partial, { recursive: true });
  return partial;
}

async function finish(partial: string, out: string): Promise<void> {
  const dir = resolve(out);
  if (existsSync(dir)) await rmdir(dir); // empty, checked in prepareOut
  await rename(partial, dir);
}

async function installNode(kit: string, node: NodeRuntime): Promise<void> {
  await mkdir(dirname(join(kit, KIT_NODE)), { recursive: true });
  await copyFile(node.binary, join(kit, KIT_NODE));
  await chmod(join(kit, KIT_NODE), 0o755);
}

/**
 * Writes app/kit-quick.json and kit.json for the files in `kit` (every file but kit.json, sorted);
 * deterministic except builtAt (SOURCE_DATE_EPOCH when set, so a reproducible build can pin it).
 */
export async function writeKitManifest(kit: string, meta: { version: string; commit: string; platform: KitPlatform; node: { version: string; source: string } }): Promise<BuiltKit> {
  const quick: Record<string, { size: number; headTailSha256: string }> = {};
  for (const rel of QUICK_CHECKED) quick[rel] = await quickDigest(kit, rel);
  await writeFile(join(kit, KIT_QUICK_FILE), `${JSON.stringify(quick, null, 2)}\n`);
  const files: KitFile[] = [];
  for (const rel of await listFiles(kit)) {
    if (rel === KIT_FILE) continue;
    const st = await lstat(join(kit, rel));
    const executable = rel === KIT_LAUNCHER || rel === KIT_NODE;
    files.push({ path: rel, size: st.size, sha256: await sha256File(join(kit, rel)), ...(executable ? { executable: true } : {}) });
  }
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  const manifest = KitManifestSchema.parse({
    format: KIT_FORMAT,
    ferry: { version: meta.version, commit: meta.commit },
    platform: meta.platform,
    node: meta.node,
    builtAt: (Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date()).toISOString(),
    entry: KIT_ENTRY,
    files,
  } satisfies KitManifest);
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(kit, KIT_FILE), bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { dir: kit, manifest, sha256, summary: kitSummary(manifest, sha256) };
}

/** Builds the kit from the source checkout into `partial`. */
async function buildFromCheckout(root: string, partial: string, platform: KitPlatform, opts: BuildKitOptions): Promise<void> {
  const progress = opts.onProgress ?? (() => undefined);
  const renderer = join(root, 'out', 'renderer');
  if (!existsSync(join(renderer, 'index.html'))) throw new UsageError(`${renderer} is missing: the renderer is not built`, 'Run npm run build first.');
  progress('bundling the CLI (esbuild)');
  const cli = await bundleCli(root, join(partial, KIT_CLI), { minify: opts.minify ?? true });
  await bundleStart(root, join(partial, KIT_ENTRY));
  checkSignal(opts.signal);
  progress('copying the renderer and the built-in recipes');
  await copyTree(renderer, join(partial, KIT_RENDERER_DIR));
  await copyTree(join(root, 'resources', 'recipes'), join(partial, KIT_RECIPES_DIR));
  checkSignal(opts.signal);
  progress(`getting Node.js for ${platform}`);
  const node = await nodeRuntime({ platform, cacheDir: opts.cacheDir, signal: opts.signal, onProgress: progress });
  await installNode(partial, node);
  checkSignal(opts.signal);
  progress('collecting licences');
  const packages = await bundledPackages(root, [...cli.inputs, ...(await rendererInputs(root))]);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { license?: string };
  await writeLicenses(partial, root, { nodeLicense: node.license, nodeVersion: node.version, ferryLicense: pkg.license ?? 'see the repository', packages });
  await writeFile(join(partial, KIT_LAUNCHER), launcherScript(), { mode: 0o755 });
  await chmod(join(partial, KIT_LAUNCHER), 0o755);
  progress('writing kit.json');
  await writeKitManifest(partial, { version: FERRY_VERSION, commit: checkoutCommit(root), platform, node: { version: node.version, source: node.source } });
}

/** A kit copying itself (same platform), or itself with another platform's Node.js. */
async function buildFromRunningKit(from: string, partial: string, platform: KitPlatform, opts: BuildKitOptions): Promise<void> {
  const progress = opts.onProgress ?? (() => undefined);
  progress(`checking the running kit ${from}`);
  const v = await verifyKit(from, { full: true });
  if (!v.ok) throw new FerryError(`The running kit ${from} was modified: ${v.problems[0]!.path} (${v.problems[0]!.problem})`, 'Copy the kit again from the approved media.');
  const { manifest } = await readKit(from);
  for (const f of manifest.files) {
    if (f.path === KIT_QUICK_FILE) continue;
    await mkdir(dirname(join(partial, f.path)), { recursive: true });
    await copyFile(join(from, f.path), join(partial, f.path));
    if (f.executable) await chmod(join(partial, f.path), 0o755);
    checkSignal(opts.signal);
  }
  let node = manifest.node;
  if (platform !== manifest.platform) {
    progress(`getting Node.js for ${platform}`);
    const rt = await nodeRuntime({ platform, cacheDir: opts.cacheDir, signal: opts.signal, onProgress: progress });
    await installNode(partial, rt);
    await copyFile(rt.license, join(partial, KIT_LICENSES_DIR, 'node.txt'));
    node = { version: rt.version, source: rt.source };
  }
  const copy = await writeKitManifest(partial, { version: manifest.ferry.version, commit: manifest.ferry.commit, platform, node });
  // What was copied must be what was verified (a file swapped meanwhile would otherwise be hashed anew).
  const swapped = new Set<string>([KIT_QUICK_FILE, ...(platform !== manifest.platform ? [KIT_NODE, `${KIT_LICENSES_DIR}/node.txt`] : [])]);
  const was = new Map(manifest.files.map((f) => [f.path, f.sha256]));
  const changed = copy.manifest.files.find((f) => !swapped.has(f.path) && was.get(f.path) !== f.sha256);
  if (changed) throw new FerryError(`${from}/${changed.path} changed while the kit was being copied`, 'Copy the kit again from the approved media.');
}

/**
 * `ferry kit build`: a self-contained folder that runs Ferry on a Linux host with nothing installed
 * (docs/offline-kit.md). From a checkout it bundles the app with esbuild; a running kit copies itself
 * (swapping Node.js for another platform). Written to OUT.partial, then renamed to OUT.
 */
export async function buildKit(opts: BuildKitOptions): Promise<BuiltKit> {
  const platform = opts.platform ?? hostPlatform() ?? 'linux/amd64';
  const kit = runningKit();
  const root = kit ? undefined : checkoutRoot();
  if (!kit && !root) throw new FerryError('This Ferry is neither a source checkout nor an offline kit, so it cannot build a kit', 'Build the kit from a Ferry source checkout (npm run build, then ferry kit build).');
  const partial = await prepareOut(opts.out);
  try {
    if (kit) await buildFromRunningKit(kit.dir, partial, platform, opts);
    else await buildFromCheckout(root!, partial, platform, opts);
    await finish(partial, opts.out);
  } catch (err) {
    await rm(partial, { recursive: true, force: true }); // ours: created by prepareOut
    throw err;
  }
  const dir = resolve(opts.out);
  const r = await readKit(dir);
  return { dir, ...r };
}
