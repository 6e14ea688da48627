// `npm start`: build, then run the desktop app when Electron and a display exist,
// otherwise say so and start the headless mode (the same UI over loopback HTTP).
import { spawnSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const { electronBinary } = require('./lib/electron-binary.cjs');
const electron = electronBinary();
const display = process.platform !== 'linux' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY;
if (electron && display) {
  spawn(electron, ['.'], { stdio: 'inherit' }).on('exit', (code) => process.exit(code ?? 0));
} else {
  const why = electron ? 'no display found' : 'the Electron binary is not installed (its download host is unreachable here)';
  console.log(`Ferry: starting the headless mode because ${why}. Open the URL below in a browser.`);
  const args = ['bin/ferry.js', 'serve', ...process.argv.slice(2)];
  spawn(process.execPath, args, { stdio: 'inherit' }).on('exit', (code) => process.exit(code ?? 0));
}
