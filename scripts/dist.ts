// `npm run dist`: build (electron-vite → out/), then package the desktop app with electron-builder as an
// AppImage and a .deb in dist/ (configuration: electron-builder.config.ts). It uses the Electron binary
// that is already installed and never downloads one: without it, it says why and exits 2.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import config from '../electron-builder.config';

const root = join(__dirname, '..');
const require = createRequire(__filename);
const { electronBinary } = require('./lib/electron-binary.cjs') as { electronBinary: (root?: string) => string | null };

const EXIT_USAGE = 2;

async function main(): Promise<number> {
  const binary = electronBinary(root);
  if (!binary) {
    const where = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(root, 'node_modules', 'electron', 'dist');
    process.stderr.write(
      [
        `npm run dist: no Electron binary in ${where}.`,
        '  electron-builder would download Electron now; Ferry does not start downloads (its download host is unreachable here).',
        '  On a machine that can reach it: run "npm ci" (electron\'s install script fetches the binary), or set',
        '  ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron of the version in package.json, then run "npm run dist" again.',
        '',
      ].join('\n'),
    );
    return EXIT_USAGE;
  }
  const electronVersion = (JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;

  const built = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) return built.status ?? 1;

  const { build, Platform } = await import('electron-builder');
  const artifacts = await build({
    projectDir: root,
    targets: Platform.LINUX.createTarget(['AppImage', 'deb']),
    // electronDist: this Electron, so electron-builder downloads none.
    config: { ...config, electronDist: dirname(binary), electronVersion },
    publish: 'never',
  });
  process.stdout.write(`Built:\n${artifacts.map((a) => `  ${relative(root, a)}`).join('\n')}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`npm run dist: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
