import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { build, Platform } from 'electron-builder';
import { afterAll, describe, expect, it } from 'vitest';
import config from '../../electron-builder.config';
import { tempDir } from '../harness/temp';

// `npm run dist` packs out/ with electron-builder.config.ts. The Electron binary cannot be downloaded
// here, so electron-builder gets a stand-in: a file carrying Electron's real fuse wire (sentinel,
// wire version 1, 8 fuses in Electron 45's default states). electron-builder copies it, packs app.asar
// and flips the fuses in the copy with @electron/fuses, as it does for the real binary.

const ROOT = resolve(__dirname, '../..');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ELECTRON_45_DEFAULTS = '10110001'; // RunAsNode, CookieEncryption, NodeOptions, CliInspect, AsarIntegrity, OnlyAsar, V8Snapshot, FileProtocol

/** @electron/fuses' FuseState values (its index does not export the enum): the wire holds ASCII '0' / '1'. */
const DISABLE = 0x30;
const ENABLE = 0x31;

const t = tempDir('ferry-dist-');
afterAll(() => t.cleanup());

/** A project folder with a snapshot of out/ (others may rebuild the checkout's meanwhile) and the checkout's node_modules. */
function projectSnapshot(): string {
  if (!existsSync(join(ROOT, 'out', 'main', 'index.js'))) throw new Error('The app is not built: run "npm run build" first (npm test does).');
  const dir = join(t.path, 'project');
  mkdirSync(join(dir, 'resources'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'out'), join(dir, 'out'), { recursive: true });
  cpSync(join(ROOT, 'resources', 'recipes'), join(dir, 'resources', 'recipes'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** Every path in an asar archive: its header is a JSON tree after two length fields (Chromium pickles). */
function asarPaths(file: string): string[] {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    readSync(fd, head, 0, 16, 0);
    const json = Buffer.alloc(head.readUInt32LE(12));
    readSync(fd, json, 0, json.length, 16);
    const paths: string[] = [];
    const walk = (node: { files?: Record<string, object> }, prefix: string): void => {
      for (const [name, child] of Object.entries(node.files ?? {})) {
        paths.push(`${prefix}/${name}`);
        walk(child, `${prefix}/${name}`);
      }
    };
    walk(JSON.parse(json.toString('utf8')) as { files?: Record<string, object> }, '');
    return paths;
  } finally {
    closeSync(fd);
  }
}

function standInElectron(): string {
  const dir = join(t.path, 'electron-dist');
  mkdirSync(dir);
  writeFileSync(join(dir, 'electron'), Buffer.concat([Buffer.from('\x7fELF stand-in '), Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from(ELECTRON_45_DEFAULTS)]), { mode: 0o755 });
  writeFileSync(join(dir, 'version'), '45.4.1');
  return dir;
}

describe('npm run dist packaging (electron-builder, dir target)', () => {
  it('packs out/ into app.asar, unpacks better-sqlite3, ships the recipes and flips the fuses', { timeout: 300_000 }, async () => {
    const output = join(t.path, 'dist');
    await build({
      projectDir: projectSnapshot(),
      targets: Platform.LINUX.createTarget('dir'),
      config: { ...config, electronDist: standInElectron(), electronVersion: '45.4.1', npmRebuild: false, directories: { ...config.directories, output } },
      publish: 'never',
    });
    const app = join(output, 'linux-unpacked');

    const wire = await getCurrentFuseWire(join(app, 'ferry-desktop'));
    expect(wire[FuseV1Options.RunAsNode]).toBe(DISABLE);
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(ENABLE);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(DISABLE);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(DISABLE);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(ENABLE);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(ENABLE);
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(ENABLE); // left as Electron ships it

    const files = asarPaths(join(app, 'resources', 'app.asar'));
    expect(files).toContain('/out/main/index.js');
    expect(files).toContain('/out/main/cli.js');
    expect(files).toContain('/out/renderer/index.html');
    expect(files.some((f) => f.startsWith('/src/') || f.startsWith('/test/'))).toBe(false);
    expect(existsSync(join(app, 'resources', 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'package.json'))).toBe(true);
    expect(readdirSync(join(app, 'resources', 'recipes')).some((f) => /\.ya?ml$/.test(f))).toBe(true);
  });
});
