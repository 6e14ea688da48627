import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportResult } from '../../src/shared/api';
import type { KitManifest } from '../../src/main/kit/kit-schema';
import { glibcFloorProblems } from '../../src/main/kit/glibc-floor';
import { kitForMedia } from '../../src/main/kit/kit-source';
import { nodeRuntime } from '../../src/main/kit/node-runtime';
import { verifyKit } from '../../src/main/kit/kit-verify';
import { safetensorsPrefix } from '../harness/demo-stack';
import { chrootSandbox, debianRoot, type ChrootSandbox } from '../harness/debian-root';
import { ferry } from '../harness/ferry-cli';
import { startHubServer } from '../harness/hub-server';
import { createLoopVolume, type LoopVolume } from '../harness/loop-media';
import { startRegistry } from '../harness/registry';
import { requireTool } from '../harness/require-tool';
import { tempDir } from '../harness/temp';
import { buildTestImages, pushTestImages } from '../harness/test-images';

// Issue 15's "done when": the kit built here, written with a bundle to a loop-device ext4 volume that is
// then mounted read-only, runs inside a minimal Debian 11 chroot (glibc 2.31; no node, npm or compiler)
// straight from the volume: kit verify, verify (and its failure on a changed copy), import to a models
// folder and to a TLS registry on loopback, and serve.
const tmp = tempDir('ferry-kit-offline-');
const dataDir = join(tmp.path, 'data');
const bundle = join(tmp.path, 'bundle');
const kitDir = join(tmp.path, 'kit');
const creds = { username: 'ferry', password: 'offline side password' };
const VOL = '/mnt/vol';
const kitStation = join(process.env.FERRY_TEST_CACHE ?? '/var/cache/ferry-test', 'kit-build-station');
const LAUNCHER = `${VOL}/ferry/ferry`;
let source: Awaited<ReturnType<typeof startRegistry>>;
let internal: Awaited<ReturnType<typeof startRegistry>>;
let hub: Awaited<ReturnType<typeof startHubServer>>;
let images: { ref: string; digest: string }[];
let vol: LoopVolume;
let box: ChrootSandbox;

/** A clean environment: only what an admin's shell on the offline host would have. */
const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' };
const CHROOT = requireTool('chroot', 'coreutils');

/** Runs a command inside the chroot. */
function inChroot(args: string[], opts: { input?: string } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(CHROOT, [box.dir, ...args], {
    encoding: 'utf8',
    input: opts.input ?? '',
    env: ENV,
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  const root = await debianRoot('bullseye'); // cached after the first run
  [source, internal, hub, vol] = await Promise.all([
    startRegistry(),
    startRegistry({ tls: true, auth: creds }),
    startHubServer({
      repos: {
        'acme/tiny-llm': {
          files: {
            'config.json': Buffer.from('{"architectures":["MistralForCausalLM"]}'),
            'model.safetensors': { size: 1024 * 1024 + 17, seed: 5, prefix: safetensorsPrefix(1024 * 1024 + 17) },
          },
        },
      },
    }),
    createLoopVolume(512 << 20),
  ]);
  const built = await buildTestImages(join(tmp.path, 'src-layout'));
  images = await pushTestImages(built.layoutDir, source.host, 'test');
  const created = await ferry(['bundle', 'create', '--image', images[0]!.ref, '--model', 'acme/tiny-llm', '--hub-url', hub.url, '--out', bundle, '--data-dir', dataDir, '--json']);
  expect(created.code, created.stderr).toBe(0);
  // `kit build` keeps only its Node.js download under the data dir: a persistent one spares the 49 MiB each run.
  const kit = await ferry(['kit', 'build', '--out', kitDir, '--data-dir', kitStation, '--json']);
  expect(kit.code, kit.stderr).toBe(0);
  const w = await ferry(['media', 'write', bundle, '--kit', kitDir, '--to', vol.mountPoint, '--unapproved-reason', 'kit test fixture, not reviewed', '--data-dir', dataDir, '--json']);
  expect(w.code, w.stderr).toBe(0);
  execFileSync('mount', ['-o', 'remount,ro', vol.mountPoint]);

  box = chrootSandbox(root, join(tmp.path, 'chroot'));
  box.bind(vol.mountPoint, VOL);
  mkdirSync(join(tmp.path, 'ca'));
  copyFileSync(internal.caFile!, join(tmp.path, 'ca', 'ca.crt'));
  box.bind(join(tmp.path, 'ca'), '/mnt/ca');
}, 900_000);

afterAll(async () => {
  box?.stop();
  await Promise.allSettled([source?.stop(), internal?.stop(), hub?.stop(), vol?.stop()]);
  tmp.cleanup();
});

describe('the offline kit in a minimal Debian 11 chroot, from a read-only volume', () => {
  it('the chroot is a bare Debian 11: glibc 2.31 and no node, npm or compiler', () => {
    expect(inChroot(['getconf', 'GNU_LIBC_VERSION']).stdout.trim()).toBe('glibc 2.31');
    for (const tool of ['node', 'nodejs', 'npm', 'gcc', 'cc', 'g++', 'make', 'python3']) {
      expect(inChroot(['/bin/sh', '-c', `command -v ${tool}`]).code, `${tool} is in the chroot`).not.toBe(0);
    }
    expect(inChroot(['/bin/sh', '-c', `touch ${VOL}/probe`]).stderr).toMatch(/Read-only file system/);
  });

  it('`ferry --version` says it runs from the kit, which one, and where', () => {
    const kit = JSON.parse(readFileSync(join(vol.mountPoint, 'ferry', 'kit.json'), 'utf8')) as KitManifest;
    const sha = execFileSync('sha256sum', [join(vol.mountPoint, 'ferry', 'kit.json')], { encoding: 'utf8' }).slice(0, 8);
    const r = inChroot([LAUNCHER, '--version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`${kit.ferry.version} (offline kit ${sha}…, linux/amd64, node ${kit.node.version}, ${VOL}/ferry)`);
  });

  it('`ferry kit verify` checks every file of the kit it runs from', () => {
    const r = inChroot([LAUNCHER, 'kit', 'verify']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^OK: offline kit [0-9a-f]{12}… \(Ferry .*linux\/amd64, node 22\.\d+\.\d+\): \d+ files, .* match kit\.json/);
  });

  it('`ferry verify` passes on the volume, and fails naming the file on a copy with one byte changed', () => {
    const ok = inChroot([LAUNCHER, 'verify', VOL]);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    const copy = join(tmp.path, 'copy');
    execFileSync('cp', ['-a', vol.mountPoint, copy]);
    const m = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as { files: { path: string; size: number }[] };
    const victim = m.files.find((f) => f.path.startsWith('models/') && f.size > 1000)!.path;
    const b = readFileSync(join(copy, victim));
    b[Math.floor(b.length / 2)] ^= 0x01;
    writeFileSync(join(copy, victim), b);
    box.bind(copy, '/mnt/copy');
    const bad = inChroot([LAUNCHER, 'verify', '/mnt/copy', '--json']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(victim);
  });

  it('`ferry import --models-dir` places the weights; the data dir is the user\'s, nothing is written on the volume', () => {
    const r = inChroot([LAUNCHER, 'import', VOL, '--models-dir', '/root/models', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(box.dir, 'root/models/acme/tiny-llm/config.json'), 'utf8')).toContain('MistralForCausalLM');
    expect(existsSync(join(box.dir, 'root/.local/share/ferry/ferry.db'))).toBe(true);
  });

  it('`ferry import --registry` pushes the image to a TLS registry on loopback with its digest', () => {
    const r = inChroot([LAUNCHER, 'import', VOL, '--registry', `${internal.host}/offline`, '--ca', '/mnt/ca/ca.crt', '--username', creds.username, '--password-stdin', '--json'], { input: creds.password });
    expect(r.code, r.stderr).toBe(0);
    const pushed = (JSON.parse(r.stdout) as ImportResult).registry;
    expect(pushed.map((p) => p.digest)).toEqual([images[0]!.digest]);
    const digest = execFileSync('skopeo', ['inspect', '--tls-verify=false', '--creds', `${creds.username}:${creds.password}`, '--format', '{{.Digest}}', `docker://${pushed[0]!.target}`], { encoding: 'utf8' }).trim();
    expect(digest).toBe(images[0]!.digest);
  });

  it('`ferry serve` answers its UI page and, with the token, its API (renderer and recipes come from the kit)', async () => {
    const child: ChildProcess = spawn(CHROOT, [box.dir, LAUNCHER, 'serve', '--port', '0', '--json'], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const line = out.split('\n').find((l) => l.startsWith('{'));
          if (line) resolve((JSON.parse(line) as { url: string }).url);
        });
        child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`ferry serve exited with ${code}: ${err}`)));
      });
      const base = new URL(url);
      const token = base.hash.replace('#token=', '');
      const page = await fetch(new URL('/', base));
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toMatch(/<div id="root">/);
      const script = /src="\.?(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
      expect((await fetch(new URL(script, base))).status).toBe(200);
      const call = (auth?: string) => fetch(new URL('/api/invoke/recipe:list', base), { method: 'POST', headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: `Bearer ${auth}` } : {}) }, body: '{}' });
      expect((await call()).status).toBe(403);
      const listed = await call(token);
      expect(listed.status).toBe(200);
      expect(JSON.stringify(await listed.json())).toContain('builtin');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('a kit whose CLI bundle has one byte changed refuses to start, naming the file', () => {
    const copy = join(tmp.path, 'kit-copy');
    execFileSync('cp', ['-a', join(vol.mountPoint, 'ferry'), copy]);
    box.bind(copy, '/mnt/kit-copy', { rw: true });
    for (const rel of ['app/cli/cli.mjs', 'app/cli.cjs']) {
      const file = join(copy, rel);
      const original = readFileSync(file);
      const b = Buffer.from(original);
      b[b.length - 2] ^= 0x01;
      writeFileSync(file, b);
      const r = inChroot(['/mnt/kit-copy/ferry', '--version']);
      writeFileSync(file, original);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^ferry: this kit was modified: ${rel.replace(/[./]/g, '\\$&')} \\(sha256 [0-9a-f]{12}…≠[0-9a-f]{12}…\\) — do not use it; copy the kit again from the approved media\n$`));
    }
    expect(inChroot(['/mnt/kit-copy/ferry', '--version']).code).toBe(0);
  });

  it('a kit builds a kit by copying itself: the same kit.json but for builtAt, and it verifies', () => {
    const r = inChroot([LAUNCHER, 'kit', 'build', '--out', '/root/kit2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(readFileSync(join(vol.mountPoint, 'ferry', 'kit.json'), 'utf8')) as KitManifest;
    const b = JSON.parse(readFileSync(join(box.dir, 'root/kit2/kit.json'), 'utf8')) as KitManifest;
    expect({ ...b, builtAt: '' }).toEqual({ ...a, builtAt: '' });
    expect(inChroot(['/root/kit2/ferry', 'kit', 'verify']).code).toBe(0);
  });

  it('a kit builds the arm64 kit by swapping in that Node.js: the same app, every binary within the glibc floor', async () => {
    const runtimes = join(kitStation, 'node-runtimes');
    await nodeRuntime({ platform: 'linux/arm64', cacheDir: runtimes }); // fetched once into the test cache (npm registry)
    box.bind(runtimes, '/root/.local/share/ferry/node-runtimes', { rw: true });
    const r = inChroot([LAUNCHER, 'kit', 'build', '--platform', 'linux/arm64', '--out', '/root/kit-arm64', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const amd = JSON.parse(readFileSync(join(vol.mountPoint, 'ferry', 'kit.json'), 'utf8')) as KitManifest;
    const arm = JSON.parse(readFileSync(join(box.dir, 'root/kit-arm64/kit.json'), 'utf8')) as KitManifest;
    expect(arm.platform).toBe('linux/arm64');
    const app = (k: KitManifest) => k.files.filter((f) => f.path.startsWith('app/') && f.path !== 'app/kit-quick.json');
    expect(app(arm)).toEqual(app(amd));
    expect(await glibcFloorProblems(join(box.dir, 'root/kit-arm64/node/bin/node'), 'linux/arm64')).toEqual([]);
    expect(inChroot([LAUNCHER, 'kit', 'verify', '/root/kit-arm64']).code).toBe(0);
  });

  it('no binary in the kit needs glibc above 2.28 or GLIBCXX above 3.4.25', async () => {
    const kit = JSON.parse(readFileSync(join(kitDir, 'kit.json'), 'utf8')) as KitManifest;
    const isElf = (file: string): boolean => {
      const fd = openSync(file, 'r');
      try {
        const head = Buffer.alloc(4);
        return readSync(fd, head, 0, 4, 0) === 4 && head.toString('latin1') === '\x7fELF';
      } finally {
        closeSync(fd);
      }
    };
    const binaries = kit.files.filter((f) => isElf(join(kitDir, f.path))).map((f) => f.path);
    expect(binaries).toEqual(['node/bin/node']);
    for (const b of binaries) expect(await glibcFloorProblems(join(kitDir, b), kit.platform)).toEqual([]);
    expect(readdirSync(join(kitDir, 'LICENSES'))).toEqual(expect.arrayContaining(['README.txt', 'node.txt', 'npm']));
  });
});

describe('the station\'s kit for media written without --kit', () => {
  it('is built from the checkout on first use, cached under <data dir>/kits/, and reused while its content is the same', async () => {
    const station = join(tmp.path, 'station');
    mkdirSync(station);
    execFileSync('cp', ['-al', join(kitStation, 'node-runtimes'), join(station, 'node-runtimes')]); // the Node.js download, hard-linked
    const first = await kitForMedia({ dataDir: station });
    expect(first.dir).toBe(join(station, 'kits', `${first.summary.version}-linux-amd64-${first.sha256.slice(0, 12)}`));
    expect(first.manifest.files.map((f) => f.path)).toEqual(expect.arrayContaining(['ferry', 'node/bin/node', 'app/start.cjs', 'app/cli.cjs', 'app/cli/cli.mjs', 'app/renderer/index.html', 'LICENSES/node.txt']));
    expect((await verifyKit(first.dir, { full: true })).ok).toBe(true);
    const again = await kitForMedia({ dataDir: station });
    expect(again).toMatchObject({ dir: first.dir, sha256: first.sha256 });
    expect(readdirSync(join(station, 'kits'))).toEqual([basename(first.dir)]);
  });
});
