import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT } from '../../src/main/bundle/manifest-schema';
import { tempDir } from '../harness/temp';

// Start-up: the built CLI (bin/ferry.js → out/main/cli.js and its chunks) loads only what the
// command it runs needs. A preload records every CommonJS file Node compiles; each file of out/main
// names the sources rolled into it (rolldown writes `// src/…` before each module).

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin', 'ferry.js');
const OUT_MAIN = join(ROOT, 'out', 'main');
/** Services: nothing of these may load for --version or --help. */
const SERVICE_DIRS = /^src\/main\/(api|install|bundle|db)\//;

const t = tempDir('ferry-cli-lazy-');
afterAll(() => t.cleanup());
const preload = join(t.path, 'record-loads.cjs');

beforeAll(() => {
  if (!existsSync(join(OUT_MAIN, 'cli.js'))) throw new Error('The CLI is not built: run "npm run build" first (npm test does).');
  writeFileSync(
    preload,
    `const Module = require('node:module');
const fs = require('node:fs');
const seen = [];
const compile = Module.prototype._compile;
Module.prototype._compile = function (content, filename) { seen.push(filename); return compile.call(this, content, filename); };
process.on('exit', () => fs.writeFileSync(process.env.FERRY_TEST_LOADS, JSON.stringify(seen)));
`,
  );
});

interface Loaded {
  code: number;
  stdout: string;
  stderr: string;
  /** Source modules (repository-relative) in the files of out/main that were loaded. */
  sources: string[];
  /** npm packages a file was loaded from. */
  packages: string[];
}

function runRecorded(args: string[]): Loaded {
  const record = join(t.path, `loads-${args.join('_').replace(/[^\w-]/g, '')}.json`);
  const r = spawnSync(process.execPath, ['-r', preload, BIN, ...args], { env: { ...process.env, FERRY_TEST_LOADS: record }, encoding: 'utf8' });
  const files = JSON.parse(readFileSync(record, 'utf8')) as string[];
  const sources = new Set<string>();
  const packages = new Set<string>();
  for (const f of files) {
    const nm = f.lastIndexOf(`${sep}node_modules${sep}`);
    if (nm >= 0) {
      const rest = f.slice(nm + 14).split(sep);
      packages.add(rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!);
    } else if (!relative(OUT_MAIN, f).startsWith('..')) {
      for (const m of readFileSync(f, 'utf8').matchAll(/^\/\/ (src\/\S+\.tsx?)$/gm)) sources.add(m[1]!);
    }
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, sources: [...sources].sort(), packages: [...packages].sort() };
}

function expectNoServices(r: Loaded): void {
  expect(r.sources).toContain('src/main/cli/index.ts'); // the recording sees the CLI itself
  expect(r.sources.filter((s) => SERVICE_DIRS.test(s))).toEqual([]);
  expect(r.packages).toEqual(['commander']);
}

describe('CLI start-up loads no services', () => {
  it('ferry --version prints the version and loads commander and the command definitions only', () => {
    const r = runRecorded(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    expectNoServices(r);
  });

  it('ferry --help lists every command without loading a service', () => {
    const r = runRecorded(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['bundle', 'verify', 'import', 'media', 'install', 'doctor', 'kit', 'bom']) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expectNoServices(r);
  });

  it('a command\'s --help (ferry media write --help) loads no service either', () => {
    const r = runRecorded(['media', 'write', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--fs <fs>\s+filesystem rules to apply\s+\(fat32\|exfat\|ntfs\|ext4\|iso9660\)/);
    expectNoServices(r);
  });

  it('running a command loads its implementation then (the recording sees lazily loaded chunks)', () => {
    const r = runRecorded(['doctor', '--data-dir', join(t.path, 'no-station')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No station database at .*no-station/);
    expect(r.sources).toContain('src/main/db/database.ts');
  });
});

/** Packages a command over a plain bundle must not load: registries, hub, Docker, BOM writing, Sigstore. */
const HEAVY = /^(@cyclonedx\/|ajv|@sigstore\/|@grpc\/|protobufjs$|@protobufjs\/|dockerode$|docker-modem$|ssh2$|@huggingface\/|undici$|packageurl-js$)/;
/** Sources of what such a command does not run: install, Docker, hub, registry transfers, kit building. */
const UNNEEDED_SOURCES = /^src\/main\/(install|docker|hub|derive|upgrade|ollama)\/|^src\/main\/(registry\/registry-client|acquire\/acquire|kit\/kit-build)\.ts$/;

describe('commands over a plain bundle load only what they use', () => {
  const bundle = join(t.path, 'tiny-bundle');
  const dataDir = join(t.path, 'station');

  beforeAll(async () => {
    // A one-file bundle: no images, models, signatures or BOM.
    mkdirSync(join(bundle, 'files'), { recursive: true });
    const bytes = Buffer.from('hello\n');
    writeFileSync(join(bundle, 'files', 'a.txt'), bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await writeManifest(bundle, {
      format: BUNDLE_FORMAT,
      bundleId: randomUUID(),
      createdAt: new Date().toISOString(),
      createdBy: { actor: 'test', station: 'test' },
      tool: { name: 'ferry', version: '0' },
      artifacts: [],
      files: [{ path: 'files/a.txt', size: bytes.length, sha256 }],
    } as Parameters<typeof writeManifest>[1]);
  });

  function expectLight(r: Loaded): void {
    expect(r.sources).toContain('src/main/db/database.ts'); // it did open the station
    expect(r.packages.filter((p) => HEAVY.test(p))).toEqual([]);
    expect(r.sources.filter((s) => UNNEEDED_SOURCES.test(s))).toEqual([]);
  }

  it('ferry verify DIR re-hashes the bundle without loading registry, hub, Docker, BOM or Sigstore code', () => {
    const r = runRecorded(['verify', bundle, '--data-dir', dataDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^OK: bundle \S+: 1 files, 6 B match the manifest$/m);
    expect(r.sources).toContain('src/main/bundle/verify.ts');
    expectLight(r);
  });

  it('ferry custody log, ferry review DIR and ferry identity list load none of it either', () => {
    const log = runRecorded(['custody', 'log', '--data-dir', dataDir]);
    expect(log.code).toBe(0);
    expect(log.stdout).toMatch(/verified/); // the verify above was recorded
    expectLight(log);
    expect(log.sources).not.toContain('src/main/bundle/verify.ts');

    const review = runRecorded(['review', bundle, '--data-dir', dataDir]);
    expect(review.code).toBe(0);
    expectLight(review);

    const ids = runRecorded(['identity', 'list', '--data-dir', dataDir]);
    expect(ids.code).toBe(0);
    expect(ids.stdout).toMatch(/No identities yet/);
    expectLight(ids);
  });
});
