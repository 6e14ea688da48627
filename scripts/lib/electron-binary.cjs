// Finds an installed Electron binary WITHOUT triggering electron's on-demand download
// (require('electron') tries to fetch it when missing). Returns null when absent.
const fs = require('node:fs');
const path = require('node:path');

function electronBinary(root = path.join(__dirname, '..', '..')) {
  const pkg = path.join(root, 'node_modules', 'electron');
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const pathFile = path.join(pkg, 'path.txt');
  const rel = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : process.platform === 'win32' ? 'electron.exe' : 'electron';
  const full = override ? path.join(override, rel) : path.join(pkg, 'dist', rel);
  return fs.existsSync(full) ? full : null;
}

module.exports = { electronBinary };
