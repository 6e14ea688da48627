/**
 * Special files in every position of a bundle and of its volumes (issue 14, docs/security.md).
 *
 * Each case plants one special file — FIFO, symlink to /dev/zero, a character device, a symlink to a
 * secret on the host, a symlink loop, a directory, a socket, a sparse file far over the size bound, or
 * a symlinked parent folder — where Ferry reads a file, then asserts:
 * - refused: the reader throws / the result is not ok / the CLI exits 1, naming the file or folder;
 * - bounded: in-process within FN_BOUND_MS, each CLI run within CLI_BOUND_MS (start-up included; before
 *   the fix these hung until killed);
 * - silent: the secret marker planted in the symlink targets never appears in any output;
 * - harmless: the canary tree and the target folders are unchanged, refused imports leave no staging;
 * - the headless server still answers GET / (also after five API calls on hostile bundles).
 * Duplicate JSON keys, over-deep nesting and over-large JSON in each JSON position are refused the same way.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/main/bundle/verify';
import type { Progress } from '../../src/main/jobs/progress';
import { readMediaCustody } from '../../src/main/custody/custody-read';
import { HashPool } from '../../src/main/hash/hash-pool';
import { readBundleRecipeInfo } from '../../src/main/install/plan/bundle-source';
import { assembleBundle } from '../../src/main/media/assemble';
import { labelFileName, type VolumeLabel } from '../../src/main/media/label';
import { verifyVolumes } from '../../src/main/media/read';
import { readStatements } from '../../src/main/review/statement';
import {
  BUNDLE_ID,
  createIdentity,
  expectNoEcho,
  expectRefused,
  expectUnchanged,
  hostileWorld,
  makeFifo,
  makeGenuineBundle,
  makeSocket,
  makeSparse,
  makeVolumes,
  replaceWithSymlink,
  runFerry,
  snapshotTree,
  startServer,
  type Entry,
  type HostileWorld,
  type RunningServer,
} from './harness';

/** One CLI run, start-up included, on a machine shared with other work. */
const CLI_BOUND_MS = 60_000;
/** One in-process read of a hostile position. */
const FN_BOUND_MS = 10_000;

let w: HostileWorld;
let server: RunningServer;
let pool: HashPool;
let canary: Map<string, Entry>;
let template: string;
let volTemplate: string[];
let n = 0;
/** The offline admin the CLI acts as (FERRY_AS), created once in a seed data dir copied for each case. */
const ADMIN = { name: 'admin1', role: 'admin', passphrase: 'correct horse battery staple 42' };
const AS_ADMIN = { FERRY_AS: ADMIN.name, FERRY_PASSPHRASE: ADMIN.passphrase };
let seedData: string;
function dataDir(): string {
  const d = join(w.root, `data-${++n}`);
  cpSync(seedData, d, { recursive: true });
  return d;
}
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  w = hostileWorld();
  pool = new HashPool(2);
  template = join(w.root, 'template');
  await makeGenuineBundle(template, { files: true, recipe: true });
  volTemplate = [join(w.root, 'vtemplate', 'v1'), join(w.root, 'vtemplate', 'v2')];
  await makeVolumes(template, volTemplate, 90_000);
  seedData = join(w.root, 'seed-data');
  await createIdentity(seedData, ADMIN);
  server = await startServer(join(w.root, 'server-data'), { signIn: ADMIN });
  canary = w.snapshot();
});

afterAll(async () => {
  for (const c of closers) await c().catch(() => undefined);
  await server?.close();
  await pool?.close();
  if (w) {
    w.expectCanaryUnchanged(canary);
    w.cleanup();
  }
});

function progress(): Progress {
  return { signal: new AbortController().signal, phase: () => undefined, item: () => undefined, itemState: () => undefined, advance: () => undefined } as unknown as Progress;
}

/** A fresh copy of the genuine bundle, or of its two volumes. */
function freshBundle(): string {
  const d = join(w.bundles, `b${++n}`);
  cpSync(template, d, { recursive: true });
  return d;
}
function freshVolumes(): string[] {
  const d = join(w.bundles, `v${++n}`);
  return volTemplate.map((v) => {
    const to = join(d, basename(v));
    cpSync(v, to, { recursive: true });
    return to;
  });
}

const KINDS = ['fifo', 'dev-zero-link', 'char-device', 'secret-link', 'link-loop', 'directory', 'socket', 'huge-sparse', 'parent-link'] as const;
type Kind = (typeof KINDS)[number];
const isRoot = process.getuid?.() === 0;

/** Plants `kind` at `abs` (replacing what is there). Returns the name the refusal must mention. */
async function plant(kind: Kind, abs: string, root: string): Promise<string> {
  mkdirSync(dirname(abs), { recursive: true });
  switch (kind) {
    case 'fifo':
      makeFifo(abs);
      break;
    case 'dev-zero-link':
      replaceWithSymlink(abs, '/dev/zero');
      break;
    case 'char-device':
      if (isRoot) {
        execFileSync('rm', ['-rf', abs]);
        execFileSync('mknod', [abs, 'c', '1', '5']); // what /dev/zero is
      } else replaceWithSymlink(abs, '/dev/zero');
      break;
    case 'secret-link':
      replaceWithSymlink(abs, w.secret);
      break;
    case 'link-loop':
      replaceWithSymlink(abs, basename(abs));
      break;
    case 'directory':
      execFileSync('rm', ['-rf', abs]);
      mkdirSync(abs);
      writeFileSync(join(abs, 'inner'), w.marker);
      break;
    case 'socket':
      closers.push(await makeSocket(abs));
      break;
    case 'huge-sparse':
      makeSparse(abs, 200 << 20); // over every kind's bound
      break;
    case 'parent-link': {
      // The file's folder becomes a link to a folder elsewhere holding the same name with the secret.
      const parent = dirname(abs);
      if (parent === root) throw new Error('parent-link needs a folder');
      const elsewhere = join(w.root, `elsewhere-${++n}`);
      mkdirSync(elsewhere);
      writeFileSync(join(elsewhere, basename(abs)), w.marker);
      replaceWithSymlink(parent, elsewhere);
      return basename(parent);
    }
  }
  return basename(abs);
}

async function bounded<T>(p: Promise<T>): Promise<{ value?: T; error?: Error; ms: number }> {
  const t0 = Date.now();
  const r = await Promise.race([
    p.then(
      (value) => ({ value }),
      (error: Error) => ({ error }),
    ),
    new Promise<{ error: Error }>((res) => setTimeout(() => res({ error: new Error('HUNG') }), FN_BOUND_MS + 1000).unref()),
  ]);
  return { ...r, ms: Date.now() - t0 };
}

/** The refusal: an error or a not-ok result, naming `name`, without the marker, within the bound. */
function expectRefusedFn(r: { value?: unknown; error?: Error; ms: number }, name: string): void {
  expect(r.error?.message, 'hung').not.toBe('HUNG');
  expect(r.ms).toBeLessThan(FN_BOUND_MS);
  const text = r.error ? `${r.error.message} ${(r.error as { hint?: string }).hint ?? ''}` : JSON.stringify(r.value);
  expectNoEcho(text, w.marker);
  if (!r.error) expect((r.value as { ok?: boolean }).ok, text.slice(0, 500)).toBe(false);
  expect(text).toContain(name);
}

// ---------------------------------------------------------------- in-process: every kind in every position

const BUNDLE_POSITIONS = [
  { id: 'manifest', rel: 'manifest.json' },
  { id: 'lock', rel: 'lock.json' },
  { id: 'recipe', rel: 'recipe.yaml' },
  { id: 'model file', rel: 'models/org--m/weights.safetensors' },
  { id: 'files blob', rel: 'files/notes/readme.txt' },
  { id: 'statement', rel: 'approvals/20261123-review.json' },
  { id: 'custody', rel: 'custody/head.json' },
] as const;

async function readersOf(pos: (typeof BUNDLE_POSITIONS)[number]['id'], dir: string): Promise<{ what: string; run: () => Promise<unknown> }[]> {
  const verify = { what: 'verifyBundle', run: () => verifyBundle(dir, pool, progress()) };
  const recipe = { what: 'readBundleRecipeInfo', run: () => readBundleRecipeInfo({ dir }) };
  switch (pos) {
    case 'manifest':
    case 'lock':
    case 'recipe':
      return [verify, recipe];
    case 'model file':
    case 'files blob':
      return [verify];
    case 'statement':
      return [
        {
          what: 'readStatements',
          run: async () => {
            const r = await readStatements(dir);
            const bad = r.filter((x) => 'problem' in x);
            if (bad.length === 0) return { ok: true, r };
            return { ok: false, problems: bad };
          },
        },
      ];
    case 'custody':
      return [{ what: 'readMediaCustody', run: () => readMediaCustody(dir, BUNDLE_ID) }];
  }
}

describe('special files in a bundle (in process)', () => {
  for (const pos of BUNDLE_POSITIONS) {
    for (const kind of KINDS) {
      if (kind === 'parent-link' && !pos.rel.includes('/')) continue;
      it(`${kind} as ${pos.id} (${pos.rel})`, async () => {
        const dir = freshBundle();
        const name = await plant(kind, join(dir, pos.rel), dir);
        for (const reader of await readersOf(pos.id, dir)) {
          const r = await bounded(reader.run());
          expectRefusedFn(r, name);
        }
      });
    }
  }
});

function volumeFile(vol: string): string {
  const label = JSON.parse(readFileSync(join(vol, 'FERRY-VOLUME.json'), 'utf8')) as VolumeLabel;
  return labelFileName(label.files.find((f) => f.path.startsWith('models/'))!);
}

const VOLUME_POSITIONS = [
  { id: 'volume label', rel: () => 'FERRY-VOLUME.json' },
  { id: 'volume manifest', rel: () => 'manifest.json' },
  { id: 'file or part on a volume', rel: (v: string) => volumeFile(v) },
] as const;

describe('special files on a volume (in process)', () => {
  for (const pos of VOLUME_POSITIONS) {
    for (const kind of KINDS) {
      if (kind === 'parent-link' && pos.id !== 'file or part on a volume') continue;
      it(`${kind} as ${pos.id}`, async () => {
        const vols = freshVolumes();
        const rel = pos.rel(vols[0]!);
        const name = await plant(kind, join(vols[0]!, rel), vols[0]!);
        expectRefusedFn(await bounded(verifyVolumes(vols, pool, progress())), name);
        const out = join(w.root, `assembled-${++n}`);
        const a = await bounded(assembleBundle(vols, out, progress()));
        expectRefusedFn(a, name);
        expect(existsSync(out) || existsSync(`${out}.partial`), 'a refused assembly leaves nothing').toBe(false);
        // Install reads labels and manifests first (refused, named); data files only in its verify step (bounded, silent here).
        const info = await bounded(readBundleRecipeInfo({ volumes: vols }));
        if (pos.id === 'file or part on a volume') {
          expect(info.error?.message).not.toBe('HUNG');
          expectNoEcho(info.error?.message ?? JSON.stringify(info.value ?? ''), w.marker);
        } else expectRefusedFn(info, name);
      });
    }
  }
});

// ---------------------------------------------------------------- JSON that is valid for JSON.parse but not for Ferry

const JSON_POSITIONS = [
  { id: 'manifest', rel: 'manifest.json' },
  { id: 'lock', rel: 'lock.json' },
  { id: 'statement', rel: 'approvals/20261123-review.json' },
  { id: 'custody', rel: 'custody/head.json' },
] as const;
const HOSTILE_JSON: Record<string, (orig: string) => string> = {
  'duplicate key': (orig) => orig.replace(/^\{/, '{"format":"x",'),
  'deep nesting': () => `${'['.repeat(5000)}${']'.repeat(5000)}`,
  'over-large': () => `{"pad":"${'x'.repeat(65 << 20)}"}`,
  'content in a syntax error': () => `root:${w.marker}:19000:0:99999:7:::`,
};

describe('hostile JSON (in process)', () => {
  for (const pos of JSON_POSITIONS) {
    for (const [what, make] of Object.entries(HOSTILE_JSON)) {
      it(`${what} in ${pos.id}`, async () => {
        const dir = freshBundle();
        const abs = join(dir, pos.rel);
        mkdirSync(dirname(abs), { recursive: true });
        const orig = existsSync(abs) ? readFileSync(abs, 'utf8') : '{"format":"ferry.review.v1"}';
        writeFileSync(abs, make(orig));
        for (const reader of await readersOf(pos.id, dir)) {
          if (pos.id === 'lock' && reader.what === 'verifyBundle') continue; // verify sees a changed listed file (hash), not JSON
          expectRefusedFn(await bounded(reader.run()), basename(pos.rel));
        }
      });
    }
  }

  it('a duplicate key in a volume label is refused', async () => {
    const vols = freshVolumes();
    const f = join(vols[0]!, 'FERRY-VOLUME.json');
    writeFileSync(f, readFileSync(f, 'utf8').replace(/^\{/, '{"bundleId":"00000000-0000-4000-8000-000000000000",'));
    const r = await bounded(verifyVolumes(vols, pool, progress()));
    expectRefusedFn(r, 'duplicate key');
  });
});

// ---------------------------------------------------------------- the CLI, as an admin runs it

interface CliCase {
  name: string;
  kind: Kind;
  volumes?: boolean;
  rel: string | ((v: string) => string);
  commands: ('verify' | 'import' | 'install' | 'media-verify' | 'custody-import')[];
}

const TWO = ['fifo', 'dev-zero-link'] as const;
const CLI_CASES: CliCase[] = [
  // Every kind as manifest.json and as the volume label; the two that used to hang also through import and install.
  ...KINDS.filter((k) => k !== 'parent-link').map((kind): CliCase => ({ name: `${kind} manifest.json`, kind, rel: 'manifest.json', commands: (TWO as readonly string[]).includes(kind) ? ['verify', 'import', 'install'] : ['verify'] })),
  ...KINDS.filter((k) => k !== 'parent-link').map((kind): CliCase => ({ name: `${kind} volume label`, kind, volumes: true, rel: 'FERRY-VOLUME.json', commands: (TWO as readonly string[]).includes(kind) ? ['media-verify', 'import', 'install'] : ['media-verify'] })),
  { name: 'fifo lock.json', kind: 'fifo', rel: 'lock.json', commands: ['install'] },
  { name: 'secret-link lock.json', kind: 'secret-link', rel: 'lock.json', commands: ['install'] },
  { name: 'fifo recipe.yaml', kind: 'fifo', rel: 'recipe.yaml', commands: ['install'] },
  { name: 'dev-zero-link model file', kind: 'dev-zero-link', rel: 'models/org--m/weights.safetensors', commands: ['verify', 'import'] },
  { name: 'fifo files blob', kind: 'fifo', rel: 'files/notes/readme.txt', commands: ['verify'] },
  { name: 'parent-link model folder', kind: 'parent-link', rel: 'models/org--m/config.json', commands: ['verify', 'import'] },
  { name: 'fifo custody head', kind: 'fifo', rel: 'custody/head.json', commands: ['custody-import'] },
  { name: 'dev-zero-link volume manifest', kind: 'dev-zero-link', volumes: true, rel: 'manifest.json', commands: ['media-verify', 'import'] },
  { name: 'fifo part on a volume', kind: 'fifo', volumes: true, rel: volumeFile, commands: ['media-verify', 'import'] },
];

/** At most two CLI processes at once (the machine is shared). */
let running = 0;
const waiting: (() => void)[] = [];
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

describe.concurrent('special files through the CLI', () => {
  for (const c of CLI_CASES) {
    it(c.name, async () => {
      const dirs = c.volumes ? freshVolumes() : [freshBundle()];
      const rel = typeof c.rel === 'string' ? c.rel : c.rel(dirs[0]!);
      const name = await plant(c.kind, join(dirs[0]!, rel), dirs[0]!);
      const data = dataDir();
      const target = w.target(`t${n}`);
      const before = snapshotTree(w.targets + '/' + basename(target));
      for (const cmd of c.commands) {
        const args = {
          verify: ['verify', ...dirs],
          import: ['import', ...dirs, '--models-dir', target],
          install: ['install', ...dirs, '--plan', '--models-dir', target, '--egress-outside', '192.0.2.1:53'],
          'media-verify': ['media', 'verify', ...dirs],
          'custody-import': ['custody', 'import', ...dirs],
        }[cmd];
        const r = await limited(() => runFerry(args, { dataDir: data, timeoutMs: CLI_BOUND_MS, env: AS_ADMIN }));
        expectRefused(r, { names: [name], marker: w.marker, boundMs: CLI_BOUND_MS });
      }
      expectUnchanged(before, snapshotTree(target), 'target');
      const staging = join(data, 'staging');
      expect(existsSync(staging) ? readdirSync(staging) : [], 'staging left behind').toEqual([]);
      expect(await server.getRoot(5_000)).toBeGreaterThanOrEqual(200); // it answered (500 only while a build empties out/renderer)
    });
  }
});

// ---------------------------------------------------------------- the headless server under hostile calls

describe('the headless server', () => {
  it('answers GET / while five API calls work on hostile bundles (FIFO manifest, manifest linked to /dev/zero)', async () => {
    const fifo = freshBundle();
    makeFifo(join(fifo, 'manifest.json'));
    const zero = freshBundle();
    replaceWithSymlink(join(zero, 'manifest.json'), '/dev/zero');
    const vols = freshVolumes();
    makeFifo(join(vols[0]!, 'FERRY-VOLUME.json'));
    const calls = [
      server.invoke('bundle:verify', { dir: fifo }),
      server.invoke('bundle:verify', { dir: zero }),
      server.invoke('bundle:import', { dir: fifo, modelsDir: w.target('srv') }),
      server.invoke('bundle:verify', { dir: zero }),
      server.invoke('media:verify', { dirs: vols }),
    ];
    const t0 = Date.now();
    expect(await server.getRoot(5_000)).toBeGreaterThanOrEqual(200); // it answered (500 only while a build empties out/renderer)
    const answered = await Promise.all(calls);
    // Each call answers at once (a job, or a refusal); each job ends refused, quickly, naming no secret.
    for (const a of answered) {
      expectNoEcho(JSON.stringify(a.body), w.marker);
      expect(a.status, JSON.stringify(a.body)).toBe(200);
      const id = (a.body as { result?: { id?: string } }).result?.id;
      if (!id) continue;
      let job: { state: string; error?: { message: string }; result?: { ok?: boolean } } = { state: 'running' };
      for (let i = 0; i < 100 && (job.state === 'running' || job.state === 'queued'); i++) {
        job = (await server.invoke('job:get', { id })).body.result;
        if (job.state === 'running' || job.state === 'queued') await new Promise((r) => setTimeout(r, 100));
      }
      const text = JSON.stringify(job);
      expect(job.state === 'failed' || (job.state === 'succeeded' && job.result?.ok === false), text).toBe(true);
      expect(text).toMatch(/manifest\.json|FERRY-VOLUME\.json/);
      expectNoEcho(text, w.marker);
    }
    expect(await server.getRoot(5_000)).toBeGreaterThanOrEqual(200); // it answered (500 only while a build empties out/renderer)
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});

// ---------------------------------------------------------------- refused imports and the data directory

describe('clean refusals', () => {
  it('a volume set refused after assembly leaves no staging copy; the data dir is 0700, ferry.db and its companions 0600', async () => {
    const vols = freshVolumes();
    const data = dataDir();
    const target = w.target('foreign');
    // A model folder Ferry did not create: the import assembles the volumes, then refuses to touch it.
    mkdirSync(join(target, 'org', 'm'), { recursive: true });
    writeFileSync(join(target, 'org', 'm', 'config.json'), 'not Ferry\'s');
    const before = snapshotTree(target);
    const r = await runFerry(['import', ...vols, '--models-dir', target], { dataDir: data, timeoutMs: CLI_BOUND_MS, env: AS_ADMIN });
    expect(r.code, r.stderr).toBe(1);
    expectUnchanged(before, snapshotTree(target), 'target');
    const staging = join(data, 'staging');
    expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
    expect(statSync(data).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(data).filter((x) => x.startsWith('ferry.db'))) expect(statSync(join(data, f)).mode & 0o777, f).toBe(0o600);
  });

  it('warns about a data dir other users can read, and narrows ferry.db an older Ferry left 0644', async () => {
    const data = join(w.root, 'data-wide');
    mkdirSync(data, { mode: 0o755 });
    execFileSync('chmod', ['755', data]);
    writeFileSync(join(data, 'ferry.db'), '');
    execFileSync('chmod', ['644', join(data, 'ferry.db')]);
    const r = await runFerry(['verify', freshBundle()], { dataDir: data, timeoutMs: CLI_BOUND_MS });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`the Ferry data directory ${data} is mode 0755`);
    expect(r.stderr).toContain(`chmod 700 ${data}`);
    expect(statSync(join(data, 'ferry.db')).mode & 0o777).toBe(0o600);
  });
});
