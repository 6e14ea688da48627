import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleStart } from '../../src/main/kit/kit-bundle';
import { writeKitManifest } from '../../src/main/kit/kit-build';
import { KIT_NODE, QUICK_CHECK_BYTES, launcherScript } from '../../src/main/kit/kit-layout';
import { tempDir } from '../harness/temp';

const ROOT = resolve(__dirname, '../..');

/**
 * app/start.cjs as `ferry kit build` bundles it, in a kit whose app/cli.cjs is a stand-in that prints
 * what start.cjs handed it. Run with this Node (the kit's node/bin/node is a stand-in too).
 */
describe('app/start.cjs: the kit checks itself before it loads the CLI', () => {
  let tmp: ReturnType<typeof tempDir>;
  let kit: string;
  let sha: string;
  beforeAll(async () => {
    tmp = tempDir('ferry-kit-start-');
    kit = join(tmp.path, 'kit');
    mkdirSync(join(kit, 'app'), { recursive: true });
    mkdirSync(join(kit, 'node', 'bin'), { recursive: true });
    await bundleStart(ROOT, join(kit, 'app', 'start.cjs'));
    writeFileSync(
      join(kit, 'app', 'cli.cjs'),
      `exports.main = async (argv) => {
  const k = globalThis[Symbol.for('ferry.runningKit')];
  process.stdout.write(JSON.stringify({ argv: argv.slice(2), dir: k.dir, sha256: k.summary.sha256, sqlite: process.env.FERRY_SQLITE }) + '\\n');
  return 3;
};\n`,
    );
    writeFileSync(join(kit, KIT_NODE), randomBytes(2 * QUICK_CHECK_BYTES + 10), { mode: 0o755 });
    writeFileSync(join(kit, 'ferry'), launcherScript(), { mode: 0o755 });
    sha = (await writeKitManifest(kit, { version: '0.1.0', commit: 'abc', platform: 'linux/amd64', node: { version: '22.22.0', source: 'test' } })).sha256;
  });
  afterAll(() => tmp.cleanup());

  const start = (dir: string, args: string[] = []) => spawnSync(process.execPath, [join(dir, 'app', 'start.cjs'), ...args], { encoding: 'utf8' });

  it('an intact kit runs the CLI with its argv, the running kit set, node:sqlite chosen, and its exit code', () => {
    const r = start(kit, ['verify', '/media/v1']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({ argv: ['verify', '/media/v1'], dir: kit, sha256: sha, sqlite: 'node' });
  });

  it('the start bundle uses node built-ins only (nothing can be picked up from a node_modules on the medium)', () => {
    const src = readFileSync(join(kit, 'app', 'start.cjs'), 'utf8');
    const required = [...src.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(required.filter((m) => !m!.startsWith('node:') && m !== './cli.cjs')).toEqual([]);
  });

  it('a kit whose app/cli.cjs has one byte changed refuses to start, naming the file, before loading it', () => {
    const copy = join(tmp.path, 'modified');
    execFileSync('cp', ['-a', kit, copy]);
    const cli = join(copy, 'app', 'cli.cjs');
    const b = readFileSync(cli);
    b[b.length - 2] = 0x21; // '!' in place of ';': still valid JS, so only the check can catch it
    writeFileSync(cli, b);
    const r = start(copy, ['--version']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(''); // the CLI never ran
    expect(r.stderr).toMatch(/^ferry: this kit was modified: app\/cli\.cjs \(sha256 [0-9a-f]{12}…≠[0-9a-f]{12}…\) — do not use it; copy the kit again from the approved media\n$/);
  });

  it('the launcher runs the kit\'s own node on app/start.cjs with the arguments as given, also when called through a link', () => {
    const d = join(tmp.path, 'launch');
    mkdirSync(join(d, 'node', 'bin'), { recursive: true });
    mkdirSync(join(tmp.path, 'bin'));
    writeFileSync(join(d, 'ferry'), launcherScript(), { mode: 0o755 });
    writeFileSync(join(d, KIT_NODE), '#!/bin/sh\nprintf "%s\\n" "$0" "$@"\n', { mode: 0o755 }); // a node stand-in that prints its argv
    symlinkSync(join(d, 'ferry'), join(tmp.path, 'bin', 'ferry'));
    const here = realpathSync(d);
    for (const via of [join(d, 'ferry'), join(tmp.path, 'bin', 'ferry')]) {
      const r = spawnSync(via, ['verify', 'a b', '$HOME'], { encoding: 'utf8', cwd: '/' });
      expect(r.status).toBe(0);
      expect(r.stdout.split('\n')).toEqual([join(here, KIT_NODE), '--disable-warning=ExperimentalWarning', join(here, 'app', 'start.cjs'), 'verify', 'a b', '$HOME', '']);
    }
  });
});
