import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool } from '../test/harness/require-tool';

/** End-to-end tests must run, not skip: fail early saying what is missing. */
export default function globalSetup(): void {
  const chromium = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) throw new Error(`Chromium not found at ${chromium}. Install it with: apt-get install -y chromium`);
  requireTool('docker-registry', 'docker-registry');
  requireTool('skopeo', 'skopeo');
  requireTool('busybox', 'busybox-static');
  if (!existsSync(join(__dirname, '..', 'out', 'renderer', 'index.html'))) throw new Error('The app is not built: run "npm run build" first (npm test does).');
}
