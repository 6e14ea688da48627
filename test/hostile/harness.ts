/**
 * Harness for hostile-media tests (issue 14, docs/security.md). Everything here is real: real files,
 * the built CLI in its own process (`npm run build` first), the real headless server.
 *
 * API
 * - `hostileWorld()` → a temp root with:
 *     `bundles/`  where tests build bundles and volumes,
 *     `targets/`  the only folders a command may change (`world.target('models')` makes one),
 *     `data/`     the station data dir (FERRY_HOME / --data-dir),
 *     `canary/`   a tree of files, modes and symlinks that nothing may touch,
 *     `secret`    a regular file holding `world.marker` (a random string) — point hostile symlinks at it and
 *                 assert the marker never appears in output (`expectNoEcho`).
 *   `world.cleanup()` removes it all (after making everything writable again).
 * - `makeGenuineBundle(dir, opts?)` → a small genuine model-only bundle (config.json + weights.safetensors
 *   under models/org--m, canonical manifest). `ferry verify <dir>` exits 0 on it. Returns the manifest.
 *   `opts.files: true` adds a `files` artifact (files/notes/readme.txt); `opts.recipe: true` adds recipe.yaml
 *   (the built-in vllm-model recipe) and a minimal lock.json naming it (what `install --plan` reads).
 *   The bundle is unsigned and unapproved: import/install refuse it at their gates after reading it.
 * - `makeVolumes(bundleDir, targets, volumeSize?)` → writes the bundle onto volume folders with the real
 *   writer (media/write.ts); `ferry media verify <targets…>` exits 0 on them.
 * - `snapshotTree(dir)` → Map of relative path → `{ type, mode, size, sha256?, link? }` (symlinks not followed).
 *   `expectUnchanged(before, after, label)` asserts equality and names every added/removed/changed path.
 *   `world.snapshot()` snapshots canary + secret + bundles parent; `world.expectCanaryUnchanged(before)`.
 * - `runFerry(args, { dataDir, timeoutMs, env, input })` → `{ code, stdout, stderr, ms, timedOut }`; the
 *   process is SIGKILLed at the bound (then `timedOut` is true and `code` is -1).
 * - `expectRefused(run, { names, marker, boundMs })`: exit 1, finished within boundMs, output names each
 *   of `names` (a file or field), never contains `marker`.
 * - `expectNoEcho(text, marker)`.
 * - `startServer(dataDir, { signIn? })` → `{ url, token, origin, getRoot(timeoutMs), invoke(channel, arg, timeoutMs), close() }`
 *   runs `ferry serve` in its own process; `getRoot` returns the HTTP status of `GET /` (throws on timeout).
 *   `invoke` keeps the browser-session header (x-ferry-session) the server hands out, like the renderer.
 *   `signIn: { name, role, passphrase }` creates that identity first (`createIdentity`) and signs in,
 *   so acting channels (bundle:verify, bundle:import, media:verify…) are allowed.
 * - `rewriteJson(file, fn)` parses, lets `fn` change the value (or return a new one), writes it back.
 * - Special files: `makeFifo(path)`, `makeSocket(path)` (returns a closer), `makeSparse(path, bytes)`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, truncateSync, writeFileSync, closeSync, openSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import { HashPool } from '../../src/main/hash/hash-pool';
import { writeVolumes } from '../../src/main/media/write';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin', 'ferry.js');

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

// ---------------------------------------------------------------- world

export interface HostileWorld {
  root: string;
  bundles: string;
  targets: string;
  dataDir: string;
  canary: string;
  secret: string;
  marker: string;
  target(name: string): string;
  snapshot(): Map<string, Entry>;
  expectCanaryUnchanged(before: Map<string, Entry>): void;
  cleanup(): void;
}

export function hostileWorld(): HostileWorld {
  const root = mkdtempSync(join(tmpdir(), 'ferry-hostile-'));
  const marker = `FERRY-SECRET-${randomBytes(12).toString('hex')}`;
  const w = {
    root,
    bundles: join(root, 'bundles'),
    targets: join(root, 'targets'),
    dataDir: join(root, 'data'),
    canary: join(root, 'canary'),
    secret: join(root, 'secret'),
    marker,
  };
  for (const d of [w.bundles, w.targets, w.canary]) mkdirSync(d, { recursive: true });
  mkdirSync(w.dataDir, { mode: 0o700 });
  writeFileSync(w.secret, `root:${marker}:19000:0:99999:7:::\n`, { mode: 0o600 });
  // The canary: nested folders, modes, a symlink, an empty file, a model-looking folder.
  mkdirSync(join(w.canary, 'org', 'm'), { recursive: true });
  mkdirSync(join(w.canary, 'etc'), { recursive: true });
  writeFileSync(join(w.canary, 'org', 'm', 'config.json'), '{"keep":true}');
  writeFileSync(join(w.canary, 'etc', 'hosts'), '127.0.0.1 localhost\n', { mode: 0o644 });
  writeFileSync(join(w.canary, 'etc', 'shadow'), `canary:${marker}\n`, { mode: 0o600 });
  writeFileSync(join(w.canary, 'empty'), '');
  symlinkSync('etc/hosts', join(w.canary, 'hosts-link'));
  chmodSync(join(w.canary, 'etc'), 0o750);
  return {
    ...w,
    target(name: string): string {
      const p = join(w.targets, name);
      mkdirSync(p, { recursive: true });
      return p;
    },
    snapshot(): Map<string, Entry> {
      const m = snapshotTree(w.canary);
      const s = lstatSync(w.secret);
      m.set('<secret>', { type: 'file', mode: s.mode & 0o7777, size: s.size, sha256: sha256(readFileSync(w.secret)) });
      return m;
    },
    expectCanaryUnchanged(before: Map<string, Entry>): void {
      expectUnchanged(before, this.snapshot(), 'canary');
    },
    cleanup(): void {
      try {
        execFileSync('chmod', ['-R', 'u+rwX', root], { stdio: 'ignore' });
      } catch {
        /* best effort */
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- genuine bundles

export const BUNDLE_ID = '6f1c1f0e-2d5b-4a53-9a53-1f6f0e6b7c11';

/** A small genuine model-only bundle (plus a `files` artifact with opts.files). `ferry verify` exits 0 on it. */
export async function makeGenuineBundle(dir: string, opts: { files?: boolean; recipe?: boolean; weightBytes?: number } = {}): Promise<BundleManifest> {
  const model = { 'config.json': Buffer.from('{"a":1}'), 'weights.safetensors': Buffer.alloc(opts.weightBytes ?? 100_000, 7) };
  mkdirSync(join(dir, 'models/org--m'), { recursive: true });
  for (const [p, b] of Object.entries(model)) writeFileSync(join(dir, 'models/org--m', p), b);
  const list = Object.entries(model).map(([path, b]) => ({ path, size: b.length, sha256: sha256(b) }));
  const artifacts: BundleManifest['artifacts'] = [
    {
      kind: 'model',
      name: 'org/m',
      source: 'http://127.0.0.1/org/m',
      hubUrl: 'http://127.0.0.1',
      repo: 'org/m',
      requestedRevision: 'main',
      revision: 'a'.repeat(40),
      dir: 'models/org--m',
      size: list.reduce((n, f) => n + f.size, 0),
      files: list,
    } as BundleManifest['artifacts'][number],
  ];
  const files = list.map((f) => ({ ...f, path: `models/org--m/${f.path}` }));
  const extra: NonNullable<BundleManifest['extraArtifacts']> = [];
  if (opts.files) {
    const body = Buffer.from('read me\n');
    mkdirSync(join(dir, 'files/notes'), { recursive: true });
    writeFileSync(join(dir, 'files/notes/readme.txt'), body);
    const entry = { path: 'readme.txt', size: body.length, sha256: sha256(body) };
    extra.push({ kind: 'files', name: 'notes', source: 'file:///notes', dir: 'files/notes', size: body.length, files: [entry] });
    files.push({ ...entry, path: 'files/notes/readme.txt' });
  }
  let lock: BundleManifest['lock'];
  if (opts.recipe) {
    const recipe = readFileSync(join(ROOT, 'resources/recipes/vllm-model.yaml'));
    writeFileSync(join(dir, 'recipe.yaml'), recipe);
    const lockBytes = Buffer.from(
      JSON.stringify({
        format: 'ferry.lock.v1',
        recipe: { id: 'vllm-model', version: '1.0.0', title: 'vLLM model server', origin: 'builtin', sha256: sha256(recipe) },
        params: {},
        platform: 'linux/amd64',
        resolvedAt: '2026-11-23T06:00:00.000+00:00',
        images: [],
        models: [],
        ollama: [],
        files: [],
        derived: [],
        totalBytes: 0,
      }),
    );
    writeFileSync(join(dir, 'lock.json'), lockBytes);
    files.push({ path: 'lock.json', size: lockBytes.length, sha256: sha256(lockBytes) }, { path: 'recipe.yaml', size: recipe.length, sha256: sha256(recipe) });
    lock = { path: 'lock.json', sha256: sha256(lockBytes), recipe: 'vllm-model', version: '1.0.0' };
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    bundleId: BUNDLE_ID,
    createdAt: '2026-11-23T06:00:00.000+00:00',
    createdBy: { actor: 'op', station: 's' },
    tool: { name: 'ferry', version: '0.1.0' },
    artifacts,
    files,
    ...(extra.length ? { extraArtifacts: extra } : {}),
    ...(lock ? { lock } : {}),
  } as BundleManifest;
  await writeManifest(dir, manifest);
  return manifest;
}

/** Writes `bundleDir` onto `targets` (one folder per volume) with the real media writer. */
export async function makeVolumes(bundleDir: string, targets: string[], volumeSize = 1 << 30): Promise<void> {
  const pool = new HashPool(1);
  try {
    for (const t of targets) mkdirSync(t, { recursive: true });
    const progress = {
      signal: new AbortController().signal,
      phase: () => undefined,
      item: () => undefined,
      itemState: () => undefined,
      advance: () => undefined,
    };
    const r = await writeVolumes(bundleDir, targets, { fs: 'ext4' as never, volumeSize, reserve: 0, minSplit: 4096, progress: progress as never, pool });
    if (!r.complete) throw new Error(`makeVolumes: incomplete write onto ${targets.join(', ')}: ${JSON.stringify({ remaining: r.remaining, skipped: r.skipped })}`);
  } finally {
    pool.close();
  }
}

export function rewriteJson(file: string, fn: (v: any) => unknown): void {
  const v = JSON.parse(readFileSync(file, 'utf8'));
  const out = fn(v);
  writeFileSync(file, JSON.stringify(out === undefined ? v : out));
}

// ---------------------------------------------------------------- special files

export function makeFifo(path: string): void {
  rmSync(path, { force: true, recursive: true });
  execFileSync('mkfifo', [path]);
}

/** A listening unix socket at `path`; call the result to close it. */
export async function makeSocket(path: string): Promise<() => Promise<void>> {
  rmSync(path, { force: true, recursive: true });
  const srv: Server = createServer((c) => c.end());
  await new Promise<void>((r) => srv.listen(path, r));
  return () => new Promise<void>((r) => srv.close(() => r()));
}

/** A sparse file of `bytes` (takes no disk space). */
export function makeSparse(path: string, bytes: number): void {
  rmSync(path, { force: true, recursive: true });
  closeSync(openSync(path, 'w'));
  truncateSync(path, bytes);
}

/** Replaces `path` with a symlink to `target`. */
export function replaceWithSymlink(path: string, target: string): void {
  rmSync(path, { force: true, recursive: true });
  symlinkSync(target, path);
}

// ---------------------------------------------------------------- snapshots

export interface Entry {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  size: number;
  sha256?: string;
  link?: string;
}

/** Every path under `dir` (relative), with type, mode, size, sha256 of files and symlink targets; never follows links. */
export function snapshotTree(dir: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (abs: string, rel: string): void => {
    const st = lstatSync(abs);
    const mode = st.mode & 0o7777;
    if (st.isSymbolicLink()) out.set(rel, { type: 'symlink', mode: 0, size: 0, link: readlinkSync(abs) });
    else if (st.isFile()) out.set(rel, { type: 'file', mode, size: st.size, sha256: sha256(readFileSync(abs)) });
    else if (st.isDirectory()) {
      out.set(rel, { type: 'dir', mode, size: 0 });
      for (const n of readdirSync(abs).sort()) walk(join(abs, n), rel === '.' ? n : `${rel}/${n}`);
    } else out.set(rel, { type: 'other', mode, size: 0 });
  };
  if (existsSync(dir)) walk(dir, '.');
  return out;
}

export function expectUnchanged(before: Map<string, Entry>, after: Map<string, Entry>, label = 'tree'): void {
  const diffs: string[] = [];
  for (const [p, e] of before) {
    const a = after.get(p);
    if (!a) diffs.push(`removed ${p}`);
    else if (JSON.stringify(a) !== JSON.stringify(e)) diffs.push(`changed ${p}: ${JSON.stringify(e)} -> ${JSON.stringify(a)}`);
  }
  for (const p of after.keys()) if (!before.has(p)) diffs.push(`added ${p}`);
  expect(diffs, `${label} changed`).toEqual([]);
}

// ---------------------------------------------------------------- CLI

export interface BoundedRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs the built CLI in its own process, killed (SIGKILL) at `timeoutMs`. */
export function runFerry(
  args: string[],
  opts: { dataDir?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<BoundedRun> {
  if (!existsSync(join(ROOT, 'out', 'main', 'cli.js'))) throw new Error('The CLI is not built: run "npm run build" first.');
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const full = opts.dataDir ? [...args, '--data-dir', opts.dataDir] : args;
  const started = Date.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [BIN, ...full], {
      env: { ...process.env, FERRY_PASSPHRASE: undefined, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code: timedOut ? -1 : (code ?? -1), stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
}

export function expectNoEcho(text: string, marker: string): void {
  expect(text.includes(marker), `output echoes the secret marker:\n${text.slice(0, 2000)}`).toBe(false);
}

/** Exit 1 within `boundMs`, output names each of `names`, never the `marker`. */
export function expectRefused(run: BoundedRun, opts: { names?: (string | RegExp)[]; marker: string; boundMs: number }): void {
  const out = `${run.stdout}\n${run.stderr}`;
  expect(run.timedOut, `still running after ${opts.boundMs} ms:\n${out.slice(-2000)}`).toBe(false);
  expect(run.ms, 'took too long').toBeLessThan(opts.boundMs);
  expectNoEcho(out, opts.marker);
  expect(run.code, `exit code (output:\n${out.slice(-2000)})`).toBe(1);
  for (const n of opts.names ?? []) {
    if (typeof n === 'string') expect(out, `output names ${n}`).toContain(n);
    else expect(out, `output matches ${n}`).toMatch(n);
  }
}

// ---------------------------------------------------------------- headless server

export interface RunningServer {
  url: string;
  origin: string;
  token: string;
  /** HTTP status of GET / ; throws when no answer within timeoutMs. */
  getRoot(timeoutMs?: number): Promise<number>;
  /** POSTs one API call; resolves with the HTTP status and body (no waiting for jobs). */
  invoke(channel: string, arg: unknown, timeoutMs?: number): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Creates an identity in `dataDir` with the CLI (passphrase on stdin). */
export async function createIdentity(dataDir: string, who: { name: string; role: string; passphrase: string }): Promise<void> {
  const r = await runFerry(['identity', 'create', '--name', who.name, '--role', who.role, '--passphrase-stdin'], { dataDir, input: `${who.passphrase}\n`, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`ferry identity create failed (${r.code}): ${r.stderr}`);
}

export async function startServer(dataDir: string, opts: { env?: NodeJS.ProcessEnv; signIn?: { name: string; role: string; passphrase: string } } = {}): Promise<RunningServer> {
  if (opts.signIn) await createIdentity(dataDir, opts.signIn);
  const child = spawn(process.execPath, [BIN, 'serve', '--json', '--data-dir', dataDir], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`ferry serve did not start in 20 s: ${stderr}`)), 20_000);
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolveUrl((JSON.parse(line) as { url: string }).url);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ferry serve exited ${code}: ${stderr}`));
    });
  });
  const u = new URL(url);
  const token = new URLSearchParams(u.hash.slice(1)).get('token') ?? '';
  const origin = u.origin;
  let session: string | undefined;
  const srv: RunningServer = {
    url,
    origin,
    token,
    async getRoot(timeoutMs = 5_000): Promise<number> {
      const r = await fetch(`${origin}/`, { signal: AbortSignal.timeout(timeoutMs) });
      await r.arrayBuffer();
      return r.status;
    },
    async invoke(channel: string, arg: unknown, timeoutMs = 10_000) {
      const r = await fetch(`${origin}/api/invoke/${channel}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(session ? { 'x-ferry-session': session } : {}) },
        body: JSON.stringify(arg),
        signal: AbortSignal.timeout(timeoutMs),
      });
      session = r.headers.get('x-ferry-session') ?? session;
      const text = await r.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* keep the text */
      }
      return { status: r.status, body };
    },
    async close(): Promise<void> {
      if (child.exitCode !== null) return;
      await new Promise<void>((r) => {
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
        child.kill('SIGTERM');
      });
    },
  };
  if (opts.signIn) {
    const r = await srv.invoke('identity:login', { name: opts.signIn.name, passphrase: opts.signIn.passphrase }, 60_000);
    if (r.status !== 200) throw new Error(`sign-in on the headless server failed: ${JSON.stringify(r.body)}`);
  }
  return srv;
}
