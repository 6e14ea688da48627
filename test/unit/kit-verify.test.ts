import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeKitManifest } from '../../src/main/kit/kit-build';
import { KIT_NODE, QUICK_CHECK_BYTES, launcherScript } from '../../src/main/kit/kit-layout';
import { readKit } from '../../src/main/kit/kit-read';
import { selfCheckKit } from '../../src/main/kit/kit-self-check';
import { verifyKit } from '../../src/main/kit/kit-verify';
import { tempDir } from '../harness/temp';

/** A kit folder with the real layout and stand-in contents (a 3 MiB "node" so the fast check reads head and tail only). */
async function makeKit(dir: string): Promise<string> {
  const put = (rel: string, data: string | Buffer, mode = 0o644): void => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), data, { mode });
  };
  put(KIT_NODE, randomBytes(3 * QUICK_CHECK_BYTES), 0o755);
  put('ferry', launcherScript(), 0o755);
  put('app/start.cjs', '/* entry */\n');
  put('app/cli.cjs', `exports.main = async () => 0;\n${'//'.padEnd(4000, 'x')}\n`);
  put('app/renderer/index.html', '<!doctype html>\n');
  put('LICENSES/node.txt', 'MIT\n');
  const k = await writeKitManifest(dir, { version: '0.1.0', commit: 'abc', platform: 'linux/amd64', node: { version: '22.22.0', source: 'test' } });
  return k.sha256;
}

function flip(file: string, at: number): void {
  const b = readFileSync(file);
  b[at] = b[at]! ^ 0xff;
  writeFileSync(file, b);
}

describe('kit verification (kit.json, fast check at start, full check)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let kit: string;
  beforeEach(() => {
    tmp = tempDir('ferry-kit-');
    kit = join(tmp.path, 'kit');
    mkdirSync(kit);
  });
  afterEach(() => tmp.cleanup());

  it('an intact kit passes both checks; its digest is the sha256 of kit.json', async () => {
    const sha = await makeKit(kit);
    expect(selfCheckKit(kit).problems).toEqual([]);
    const v = await verifyKit(kit, { full: true });
    expect(v).toMatchObject({ ok: true, problems: [], summary: { sha256: sha, version: '0.1.0', platform: 'linux/amd64', nodeVersion: '22.22.0', files: 7 } });
    expect(v.summary.sha256).toBe(execFileSync('sha256sum', [join(kit, 'kit.json')], { encoding: 'utf8' }).split(' ')[0]);
    expect((await readKit(kit)).manifest.files.map((f) => f.path)).toEqual(['LICENSES/node.txt', 'app/cli.cjs', 'app/kit-quick.json', 'app/renderer/index.html', 'app/start.cjs', 'ferry', 'node/bin/node']);
  });

  it('one changed byte in app/cli.cjs is named by both checks', async () => {
    await makeKit(kit);
    flip(join(kit, 'app/cli.cjs'), 10);
    expect(selfCheckKit(kit).problems).toEqual([{ path: 'app/cli.cjs', problem: expect.stringMatching(/^sha256 [0-9a-f]{12}…≠[0-9a-f]{12}…$/) }]);
    const v = await verifyKit(kit, { full: true });
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => p.path)).toEqual(['app/cli.cjs']);
  });

  it('node: the fast check sees its first and last MiB and its size; only the full check sees its middle', async () => {
    await makeKit(kit);
    const node = join(kit, KIT_NODE);
    flip(node, QUICK_CHECK_BYTES + 5); // the middle MiB
    expect(selfCheckKit(kit).problems).toEqual([]);
    expect((await verifyKit(kit, { full: false })).problems).toEqual([]);
    expect((await verifyKit(kit, { full: true })).problems.map((p) => p.path)).toEqual([KIT_NODE]);
    flip(node, 3 * QUICK_CHECK_BYTES - 1); // its last byte
    expect(selfCheckKit(kit).problems).toEqual([{ path: KIT_NODE, problem: expect.stringMatching(/^sha256 of its first and last MiB/) }]);
    expect((await verifyKit(kit, { full: false })).problems.map((p) => p.path)).toEqual([KIT_NODE]);
    writeFileSync(node, readFileSync(node).subarray(0, 100));
    expect(selfCheckKit(kit).problems).toEqual([{ path: KIT_NODE, problem: `size 100≠${3 * QUICK_CHECK_BYTES}` }]);
  });

  it('a file kit.json does not list (a planted node_modules) is refused', async () => {
    await makeKit(kit);
    mkdirSync(join(kit, 'app/node_modules/better-sqlite3'), { recursive: true });
    writeFileSync(join(kit, 'app/node_modules/better-sqlite3/index.js'), 'evil()');
    writeFileSync(join(kit, 'app/extra.js'), 'evil()');
    const expected = [
      { path: 'app/extra.js', problem: 'not listed in kit.json' },
      { path: 'app/node_modules/', problem: 'not listed in kit.json' },
    ];
    expect(selfCheckKit(kit).problems.sort((a, b) => a.path.localeCompare(b.path))).toEqual(expected);
    expect((await verifyKit(kit, { full: true })).problems.sort((a, b) => a.path.localeCompare(b.path))).toEqual(expected);
  });

  it('links and special files are refused without being followed or opened', async () => {
    await makeKit(kit);
    const outside = join(tmp.path, 'outside.cjs');
    writeFileSync(outside, readFileSync(join(kit, 'app/cli.cjs')));
    rmSync(join(kit, 'app/cli.cjs'));
    symlinkSync(outside, join(kit, 'app/cli.cjs'));
    rmSync(join(kit, 'LICENSES/node.txt'));
    execFileSync('mkfifo', [join(kit, 'LICENSES/node.txt')]);
    const fast = selfCheckKit(kit).problems;
    expect(fast).toContainEqual({ path: 'app/cli.cjs', problem: 'a symbolic link' });
    expect(fast).toContainEqual({ path: 'LICENSES/node.txt', problem: 'not a regular file' });
    const full = await verifyKit(kit, { full: true });
    expect(full.problems.map((p) => p.path).sort()).toEqual(['LICENSES/node.txt', 'app/cli.cjs']);
    expect(full.problems.find((p) => p.path === 'app/cli.cjs')!.problem).toMatch(/symbolic link/);
  });

  it('a symlinked folder is refused (its files are never read through it)', async () => {
    await makeKit(kit);
    const elsewhere = join(tmp.path, 'renderer');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'index.html'), '<!doctype html>\n');
    rmSync(join(kit, 'app/renderer'), { recursive: true });
    symlinkSync(elsewhere, join(kit, 'app/renderer'));
    expect(selfCheckKit(kit).problems).toEqual([{ path: 'app/renderer/', problem: 'not a real folder (a link or a file)' }]);
    expect((await verifyKit(kit, { full: true })).problems.map((p) => p.path)).toContain('app/renderer/index.html');
  });

  it('a missing file and a kit.json that is not a kit manifest are named', async () => {
    await makeKit(kit);
    rmSync(join(kit, 'app/renderer/index.html'));
    expect(selfCheckKit(kit).problems).toEqual([{ path: 'app/renderer/index.html', problem: 'missing' }]);
    expect((await verifyKit(kit, { full: true })).problems).toEqual([{ path: 'app/renderer/index.html', problem: expect.stringMatching(/missing/) }]);
    const m = JSON.parse(readFileSync(join(kit, 'kit.json'), 'utf8')) as { platform: string };
    m.platform = 'windows/amd64';
    writeFileSync(join(kit, 'kit.json'), JSON.stringify(m));
    expect(selfCheckKit(kit).problems).toEqual([{ path: 'kit.json', problem: 'field platform is invalid' }]);
    await expect(readKit(kit)).rejects.toThrow(/kit\.json: field platform/);
    writeFileSync(join(kit, 'kit.json'), '{"format":"ferry.kit.v1","format":"ferry.kit.v1"}');
    await expect(readKit(kit)).rejects.toThrow(/kit\.json has a duplicate key/);
  });

  it('kit.json is deterministic: the same files give the same manifest but for builtAt', async () => {
    await makeKit(kit);
    const a = JSON.parse(readFileSync(join(kit, 'kit.json'), 'utf8')) as Record<string, unknown>;
    const again = await writeKitManifest(kit, { version: '0.1.0', commit: 'abc', platform: 'linux/amd64', node: { version: '22.22.0', source: 'test' } });
    expect({ ...again.manifest, builtAt: '' }).toEqual({ ...a, builtAt: '' });
    process.env.SOURCE_DATE_EPOCH = '1700000000';
    try {
      const pinned = await writeKitManifest(kit, { version: '0.1.0', commit: 'abc', platform: 'linux/amd64', node: { version: '22.22.0', source: 'test' } });
      expect(pinned.manifest.builtAt).toBe('2023-11-14T22:13:20.000Z');
    } finally {
      delete process.env.SOURCE_DATE_EPOCH;
    }
  });
});
