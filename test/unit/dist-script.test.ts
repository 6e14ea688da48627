import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../harness/temp';

const ROOT = resolve(__dirname, '../..');
const t = tempDir('ferry-dist-script-');
afterAll(() => t.cleanup());

describe('npm run dist without an Electron binary', () => {
  it('says why and exits 2 before building or downloading anything', () => {
    const empty = join(t.path, 'no-electron'); // ELECTRON_OVERRIDE_DIST_PATH with no binary in it
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'dist.ts')], {
      cwd: ROOT,
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: empty },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`no Electron binary in ${empty}`);
    expect(r.stderr).toMatch(/does not start downloads/);
    expect(r.stderr).toMatch(/ELECTRON_OVERRIDE_DIST_PATH/);
    expect(r.stdout).not.toMatch(/electron-vite|electron-builder/); // neither the build nor the packager ran
  });
});
