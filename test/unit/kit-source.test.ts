import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FERRY_VERSION } from '../../src/main/core/version';
import { buildKit, checkoutRoot, writeKitManifest } from '../../src/main/kit/kit-build';
import { KIT_NODE, launcherScript } from '../../src/main/kit/kit-layout';
import { kitForMedia } from '../../src/main/kit/kit-source';
import { runningKit, setRunningKit, versionLine } from '../../src/main/kit/running-kit';
import { tempDir } from '../harness/temp';

async function makeKit(dir: string, platform: 'linux/amd64' | 'linux/arm64' = 'linux/amd64') {
  for (const [rel, data] of [[KIT_NODE, randomBytes(4096)], ['ferry', launcherScript()], ['app/start.cjs', '//\n'], ['app/cli.cjs', '//\n']] as const) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), data, { mode: 0o755 });
  }
  return writeKitManifest(dir, { version: '0.1.0', commit: 'abc', platform, node: { version: '22.22.0', source: 'test' } });
}

describe('which kit goes on the media, and `ferry --version`', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('ferry-kit-source-');
  });
  afterEach(() => {
    setRunningKit(undefined);
    tmp.cleanup();
  });

  it('--version is the plain version from a checkout, and names the kit when running from one', async () => {
    expect(runningKit()).toBeUndefined();
    expect(versionLine()).toBe(FERRY_VERSION);
    const k = await makeKit(join(tmp.path, 'kit'));
    setRunningKit({ dir: '/media/v1/ferry', summary: k.summary });
    expect(versionLine()).toBe(`0.1.0 (offline kit ${k.sha256.slice(0, 8)}…, linux/amd64, node 22.22.0, /media/v1/ferry)`);
  });

  it('--kit DIR: that kit, checked in full; refused when modified or for another platform', async () => {
    const dir = join(tmp.path, 'kit');
    const k = await makeKit(dir, 'linux/arm64');
    const got = await kitForMedia({ dataDir: join(tmp.path, 'data'), kitDir: dir });
    expect(got).toMatchObject({ dir, sha256: k.sha256, summary: { platform: 'linux/arm64' } });
    await expect(kitForMedia({ dataDir: join(tmp.path, 'data'), kitDir: dir, platform: 'linux/amd64' })).rejects.toThrow(/is for linux\/arm64, not linux\/amd64/);
    writeFileSync(join(dir, 'app/cli.cjs'), '// changed\n');
    await expect(kitForMedia({ dataDir: join(tmp.path, 'data'), kitDir: dir })).rejects.toThrow(/does not match its kit\.json: app\/cli\.cjs \(size 11≠3\)/);
  });

  it('a kit writing media puts itself on them when the platform fits', async () => {
    const dir = join(tmp.path, 'running');
    const k = await makeKit(dir);
    setRunningKit({ dir, summary: k.summary });
    expect(await kitForMedia({ dataDir: join(tmp.path, 'data'), platform: 'linux/amd64' })).toMatchObject({ dir, sha256: k.sha256 });
  });
});

describe('ferry kit build: where it writes', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('ferry-kit-build-');
  });
  afterEach(() => tmp.cleanup());

  it('refuses a non-empty --out and a leftover DIR.partial, removing neither', async () => {
    const out = join(tmp.path, 'kit');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    await expect(buildKit({ out, cacheDir: join(tmp.path, 'cache') })).rejects.toThrow(/kit is not empty/);
    expect(readdirSync(out)).toEqual(['notes.txt']);
    const other = join(tmp.path, 'other');
    mkdirSync(`${other}.partial`);
    writeFileSync(join(`${other}.partial`, 'x'), 'x');
    await expect(buildKit({ out: other, cacheDir: join(tmp.path, 'cache') })).rejects.toThrow(/other\.partial exists \(an earlier kit build was interrupted\)/);
    expect(readdirSync(`${other}.partial`)).toEqual(['x']);
  });

  it('knows the checkout it runs from', () => {
    expect(checkoutRoot()).toBe(resolve(__dirname, '../..'));
  });
});
