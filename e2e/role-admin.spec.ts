import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startServe } from '../test/harness/demo-stack';
import { startDockerd, type TestDockerd } from '../test/harness/dockerd';
import { ferry } from '../test/harness/ferry-cli';
import { freePort } from '../test/harness/ports';
import { startRegistry, type TestRegistry } from '../test/harness/registry';
import { tempDir } from '../test/harness/temp';
import { makeBusyboxLayer, makeLayerTar, writeOciImage, type TestImage } from '../test/harness/test-images';
import { E2E_PASS, ensureIdentity, signIn } from './identities';

// Issue 17, the offline admin's whole job in Chromium, with no CLI call beyond the fixtures and
// starting the server. Fixtures (the connected station's side, by the CLI): a small stand-in stack
// (db + app sharing a volume, as test/integration/upgrade-flow.test.ts makes it) bundled as 1.0.0
// and as a 2.0.0 whose app overwrites the volume's marker and exits at start; both approved by the
// reviewer rita and carrying their custody log. In the app: pin rita's key → Receive (custody
// import, a signed "received" record, the approvals check) → Verify → Guided install (plan, remove
// a plan, plan again, run, reload, compose export) → Upgrade to 2.0.0 (the diff, release notes,
// migration guide) → rolled back, 1.0.0 running again → the custody report downloaded.
// Contacted: loopback, this file's engine and its containers only.

const tmp = tempDir('ferry-role-admin-');
const CONNECTED = join(tmp.path, 'connected');
const OFFLINE = join(tmp.path, 'offline');
const AUTH = { username: 'ferry', password: 'admin-e2e-registry-pw' };
const PASS = { input: `${E2E_PASS}\n` };
const at = (dataDir: string): string[] => ['--data-dir', dataDir, '--json'];
const as = (name: string): string[] => ['--as', name, '--passphrase-stdin'];

let engine: TestDockerd;
let registry: TestRegistry;
let serve: ChildProcess | undefined;
let url = '';
let appPort = 0;
let dbPort = 0;
const bundles: Record<1 | 2, { dir: string; bundleId: string; app: TestImage }> = {} as never;

const APP = `#!/bin/sh
mkdir -p /www
echo "app v1" > /www/version
echo ok > /www/health
[ -f /data/marker ] || echo "created by app v1" > /data/marker
httpd -f -p 8080 -h /www &
pid=$!
trap 'kill $pid 2>/dev/null; exit 0' TERM INT
wait $pid
`;
const APP_BROKEN = `#!/bin/sh
echo "v2 was here" > /data/marker
echo "app v2: the schema migration failed" >&2
exit 1
`;
const DB = `#!/bin/sh
mkdir -p /www /data
echo ok > /www/health
httpd -f -p 8081 -h /www &
pid=$!
trap 'kill $pid 2>/dev/null; exit 0' TERM INT
wait $pid
`;
/** Text in the 2.0.0 notes that the browser must show as text, never as markup. */
const INJECTED = '<img src=x onerror="document.title=\'pwned\'">';

function recipe(v: 1 | 2, layout: string): string {
  return `format: ferry.recipe.v1
id: admin-e2e
title: Admin e2e stack
version: ${v}.0.0
artifacts:
  images:
    - { id: app, source: "oci:${layout}:app:${v}.0", target: app }
    - { id: db, source: "oci:${layout}:db:1.0", target: db }
install:
  containers:
    - name: db
      image: db
      volumes: ["data:/data"]
      ports: ["127.0.0.1:${dbPort}:8081"]
      restart: unless-stopped
      health: { http: "http://127.0.0.1:${dbPort}/health" }
    - name: app
      image: app
      dependsOn: [db]
      volumes: ["data:/data"]
      ports: ["127.0.0.1:${appPort}:8080"]
      env: { APP_MODE: "v${v}" }
      health: { http: "http://127.0.0.1:${appPort}/health", timeout: 20 }
`;
}

async function ok(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = await ferry(args, opts);
  expect(r.code, `ferry ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

/** The connected side: bundle version v from OCI layouts, approved by rita, its custody log exported into it. */
async function makeBundle(v: 1 | 2): Promise<void> {
  const layout = join(tmp.path, `layout-v${v}`);
  const base = await makeBusyboxLayer();
  const links = ['mkdir', 'test', 'kill'].map((a) => ({ path: `bin/${a}`, type: 'symlink' as const, linkname: 'busybox' }));
  const dirs = ['usr/', 'usr/local/', 'usr/local/bin/'].map((path) => ({ path, type: 'directory' as const }));
  const appLayer = await makeLayerTar([...links, ...dirs, { path: 'usr/local/bin/app', content: v === 1 ? APP : APP_BROKEN, mode: 0o755 }]);
  const dbLayer = await makeLayerTar([...links, ...dirs, { path: 'usr/local/bin/db', content: DB, mode: 0o755 }]);
  const app = writeOciImage(layout, { name: `app:${v}.0`, layers: [base, appLayer], cmd: ['/usr/local/bin/app'], exposedPorts: ['8080/tcp'] });
  writeOciImage(layout, { name: 'db:1.0', layers: [base, dbLayer], cmd: ['/usr/local/bin/db'], exposedPorts: ['8081/tcp'] });
  mkdirSync(join(CONNECTED, 'recipes'), { recursive: true });
  writeFileSync(join(CONNECTED, 'recipes', 'admin-e2e.yaml'), recipe(v, layout));
  const extra: string[] = [];
  if (v === 2) {
    writeFileSync(join(tmp.path, 'notes.md'), `# Release 2.0.0\n\n- the app migrates its schema at start\n- ${INJECTED}\n`);
    writeFileSync(join(tmp.path, 'migration.md'), '# Migrating to 2.0.0\n\nBack up the data volume first; Ferry does this for you.\n');
    extra.push('--release-notes', join(tmp.path, 'notes.md'), '--migration-guide', join(tmp.path, 'migration.md'));
  }
  const dir = join(tmp.path, `bundle-v${v}`);
  const r = await ok(['bundle', 'create', '--recipe', 'admin-e2e', '--out', dir, ...extra, ...at(CONNECTED)], { env: { FERRY_AS: 'olga', FERRY_PASSPHRASE: E2E_PASS } });
  const bundleId = r.json<{ bundleId: string }>().bundleId;
  await ok(['review', dir, '--approve', '--reason', 'digests match the change ticket', ...as('rita'), ...at(CONNECTED)], PASS);
  await ok(['custody', 'export', dir, ...as('olga'), ...at(CONNECTED)], PASS);
  bundles[v] = { dir, bundleId, app };
}

async function appVersion(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${appPort}/version`);
  return res.text();
}

test.beforeAll(async () => {
  test.setTimeout(10 * 60_000);
  [appPort, dbPort] = await Promise.all([freePort(), freePort()]);
  if (appPort === dbPort) dbPort = await freePort();
  for (const [name, role] of [['olga', 'operator'], ['rita', 'reviewer'], ['ada', 'admin']] as const) {
    await ok(['identity', 'create', '--name', name, '--role', role, '--passphrase-stdin', ...at(CONNECTED)], PASS);
  }
  await ok(['identity', 'station', '--name', 'transfer-1', '--location', 'Bldg 4', ...as('ada'), ...at(CONNECTED)], PASS);
  // The stand-in images carry no antivirus verdict worth asking for; the approval is the subject here.
  await ok(['trust', 'policy', '--require-clean-antivirus', 'off', ...as('ada'), ...at(CONNECTED)], PASS);
  await makeBundle(1);
  await makeBundle(2);
  await ok(['identity', 'export-public', 'rita', '--out', join(tmp.path, 'rita.pub'), ...at(CONNECTED)]);
  await ensureIdentity(OFFLINE, 'e2e-admin', 'admin');
  [engine, registry] = await Promise.all([startDockerd({ networking: true }), startRegistry({ tls: true, auth: AUTH })]);
  const served = await startServe(OFFLINE, { DOCKER_HOST: `unix://${engine.socketPath}`, FERRY_STATION: 'offline-gpu-host-1' });
  serve = served.child;
  url = served.url;
});

test.afterAll(async () => {
  test.setTimeout(2 * 60_000);
  serve?.kill('SIGTERM');
  await Promise.allSettled([engine?.stop(), registry?.stop()]);
  tmp.cleanup();
});

async function nav(page: Page, screen: string, heading: string): Promise<void> {
  await page.getByTestId(`nav-${screen}`).click();
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
}

test('the offline admin receives, verifies, installs, upgrades with a rollback and downloads the report, all in the app', async ({ page }) => {
  test.setTimeout(12 * 60_000);
  const v1 = bundles[1];
  const v2 = bundles[2];
  await page.goto(url);
  await signIn(page, 'e2e-admin');

  // Pin the reviewer's key after comparing its fingerprint (read aloud, here: from the key file).
  await nav(page, 'trust', 'Trusted keys');
  const pub = join(tmp.path, 'rita.pub');
  await page.getByTestId('trust-path').fill(pub);
  await page.getByTestId('trust-show').click();
  await expect(page.getByTestId('trust-candidate-name')).toHaveText('rita');
  await page.getByTestId('trust-confirm').fill(JSON.parse(readFileSync(pub, 'utf8')).fingerprint as string);
  await page.getByTestId('trust-pin').click();
  await expect(page.getByTestId('trust-pinned')).toContainText('Pinned rita (reviewer)');

  // Receive: the custody log the bundle carries, continued here; who exported it; not pinned here.
  await nav(page, 'receive', 'Receive');
  await page.getByLabel('Bundle folder', { exact: true }).fill(v1.dir);
  await page.getByRole('button', { name: 'Import custody log' }).click();
  await expect(page.getByTestId('receive-origin')).toHaveText('transfer-1 (Bldg 4)');
  await expect(page.getByTestId('receive-events')).toContainText(/\d+ carried · \d+ added · 0 already here/);
  await expect(page.getByTestId('receive-signer')).toContainText('olga');
  await expect(page.getByTestId('receive-signer')).toHaveAttribute('data-pinned', 'no');
  await expect(page.getByTestId('receive-signer-warning')).toBeVisible();
  await expect(page.getByLabel('Bundle id', { exact: true })).toHaveValue(v1.bundleId);

  // The receipt, signed by the admin signed in here: refused until the seal state is given.
  await page.getByLabel('Media serials', { exact: true }).fill('USB-4411, USB-4412');
  await page.getByLabel('Seal numbers', { exact: true }).fill('S-1001');
  await expect(page.getByRole('button', { name: 'Record received' })).toBeDisabled();
  await expect(page.getByTestId('receive-record-needs')).toContainText('whether the seals were intact');
  await page.getByLabel('Yes, intact').check();
  await page.getByLabel('Condition note', { exact: true }).fill('Box dry, tape unbroken.');
  await page.getByRole('button', { name: 'Record received' }).click();
  await expect(page.getByTestId('receive-recorded')).toContainText(/Recorded #\d+ received/);
  await expect(page.getByTestId('receive-recorded')).toContainText('Signed by e2e-admin');

  // Approvals: rita's approval counts now that her key is pinned.
  await page.getByRole('button', { name: 'Check approvals' }).click();
  await expect(page.getByTestId('receive-trust')).toHaveAttribute('data-ok', 'yes');
  await expect(page.getByTestId('receive-trust-verdict')).toContainText('Approved for this station');
  await expect(page.getByTestId('receive-trust-approvers')).toHaveText('rita');

  // Verify, from the Receive screen: every byte against the manifest.
  await page.getByRole('button', { name: 'Verify this bundle' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Verify & import' })).toBeVisible();
  await expect(page.getByTestId('verify-dir')).toHaveValue(v1.dir);
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(page.getByTestId('verify-result')).toHaveText('OK', { timeout: 120_000 });

  // Guided install: a folder source; no GitLab-only fields for this recipe.
  await nav(page, 'install', 'Guided install');
  await expect(page.getByTestId('install-list')).toContainText('None yet');
  await page.getByTestId('install-source-dir').check();
  await page.getByTestId('install-dir').fill(v1.dir);
  await page.getByRole('button', { name: 'Inspect' }).click();
  await expect(page.getByTestId('install-recipe')).toHaveText('Admin e2e stack');
  await expect(page.getByLabel('GitLab CA file', { exact: true })).toHaveCount(0);
  await expect(page.getByLabel('Setup script', { exact: true })).toHaveCount(0);
  await page.getByLabel('Internal registry', { exact: true }).fill(`${registry.host}/up`);
  await page.getByLabel('Registry CA file', { exact: true }).fill(registry.caFile!);
  await page.getByLabel('Registry username', { exact: true }).fill(AUTH.username);
  await page.getByLabel('Registry password', { exact: true }).fill(AUTH.password);
  await page.getByLabel('Models directory', { exact: true }).fill(join(tmp.path, 'models'));
  await page.getByLabel('Engine socket', { exact: true }).fill(`unix://${engine.socketPath}`);
  await page.getByLabel('GPU mode', { exact: true }).selectOption('none');
  await page.getByLabel('Health timeout (seconds)', { exact: true }).fill('60');
  await page.getByLabel('Outside targets', { exact: true }).fill('127.0.0.1:9');
  await page.getByRole('button', { name: 'Plan' }).click();

  // The plan: steps at the top, the form folded away; a planned install can be removed.
  await expect(page.getByTestId('step-container:app')).toHaveAttribute('data-state', 'pending');
  await expect(page.getByTestId('install-new-form')).not.toHaveAttribute('open', '');
  const row = page.getByTestId('install-row');
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('install-row-status')).toHaveText('planned');
  await row.getByTestId('install-remove').click();
  const dialog = page.getByRole('dialog', { name: 'Remove this planned install?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Keep it' })).toBeFocused();
  await dialog.getByRole('button', { name: 'Remove' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('install-row')).toHaveCount(0);
  await expect(page.getByTestId('install-id')).toHaveCount(0);

  // Plan again (the form is open again, still filled in) and run every step.
  await page.getByRole('button', { name: 'Plan' }).click();
  await expect(page.getByTestId('install-row')).toHaveCount(1);
  await page.getByRole('button', { name: 'Run all' }).click();
  await expect(page.getByTestId('install-steps-count')).toHaveText(/^(\d+) of \1 done$/, { timeout: 5 * 60_000 });
  await expect.poll(appVersion).toBe('app v1\n');
  const installId = (await page.getByTestId('install-row').getAttribute('data-install-id'))!;

  // A reload keeps it: the list with its status, and the install open with its steps.
  await page.reload();
  await expect(page.getByTestId('session-name')).toHaveText(/^e2e-admin \(/); // the login belongs to this tab and survives it
  await nav(page, 'install', 'Guided install');
  await expect(page.getByTestId('install-row').getByTestId('install-row-status')).toHaveText('done');
  await expect(page.getByTestId('install-id')).toContainText(installId);
  await expect(page.getByTestId('step-container:app')).toHaveAttribute('data-state', 'done');

  // Compose export: both files as browser downloads, with the warning that .env holds secrets.
  await page.getByRole('button', { name: 'Export compose files' }).click();
  await expect(page.getByTestId('install-compose-secret-warning')).toContainText('.env holds');
  await expect(page.getByTestId('install-compose-command')).toContainText('compose');
  const [yml] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download docker-compose.yml' }).click()]);
  expect(yml.suggestedFilename()).toBe('docker-compose.yml');
  expect(readFileSync((await yml.path())!, 'utf8')).toContain(`${registry.host}/up/app`);
  const [env] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download .env' }).click()]);
  expect(env.suggestedFilename()).toMatch(/^[\w.-]+\.env$/); // browsers will not save a dot-file: PROJECT.env, to rename
  expect(readFileSync((await env.path())!, 'utf8')).toContain('Keep this file private (0600)');

  // Upgrade: plan 2.0.0 — what changes, the release notes as text, the migration guide.
  await nav(page, 'upgrade', 'Upgrade');
  await expect(page.getByLabel('Install to upgrade', { exact: true })).toHaveValue(installId);
  await page.getByLabel('New bundle folder', { exact: true }).fill(v2.dir);
  await page.getByLabel('Registry password', { exact: true }).fill(AUTH.password);
  await page.getByRole('button', { name: 'Plan' }).click();
  await expect(page.getByTestId('upgrade-versions')).toHaveText('1.0.0 → 2.0.0', { timeout: 120_000 });
  await expect(page.locator('[data-testid="upgrade-image"][data-id="app"]')).toHaveAttribute('data-change', 'changed');
  await expect(page.locator('[data-testid="upgrade-image"][data-id="db"]')).toHaveAttribute('data-change', 'unchanged');
  const appFields = page.locator('[data-testid="upgrade-container"][data-name="app"] [data-testid="upgrade-field"]');
  await expect(appFields.filter({ hasText: 'env.APP_MODE' })).toContainText('v2');
  await expect(page.getByTestId('upgrade-release-notes')).toContainText('the app migrates its schema at start');
  await expect(page.getByTestId('upgrade-release-notes')).toContainText(INJECTED);
  await expect(page.getByTestId('upgrade-release-notes').locator('img')).toHaveCount(0);
  await expect(page.getByTestId('upgrade-migration-guide')).toContainText('Back up the data volume first');
  expect(await appVersion()).toBe('app v1\n');

  // Run it: 2.0.0's app exits at start, so Ferry rolls back; 1.0.0 serves again.
  await page.getByRole('button', { name: 'Upgrade to 2.0.0' }).click();
  const outcome = page.getByTestId('upgrade-outcome');
  await expect(outcome).toHaveAttribute('data-outcome', 'rolled-back', { timeout: 5 * 60_000 });
  await expect(outcome).toContainText('Rolled back to 1.0.0');
  await expect(page.getByTestId('upgrade-failure-step')).toHaveText(/health|container:app/);
  await expect(page.getByTestId('upgrade-backup')).toContainText(OFFLINE);
  await expect.poll(appVersion).toBe('app v1\n');
  expect(await page.title()).not.toBe('pwned'); // the notes' markup never ran

  // The report: opened from the install, downloaded by the browser (nothing written on the server).
  await nav(page, 'install', 'Guided install');
  await page.getByTestId('install-custody-link').click();
  await expect(page.getByTestId('custody-bundle')).toHaveValue(v1.bundleId);
  // Two receipts: the one recorded by hand (media, seals) and the install's verify step's.
  await expect(page.locator('[data-testid="custody-row"][data-type="received"]').filter({ hasText: 'USB-4411' })).toHaveCount(1);
  await expect(page.locator('[data-testid="custody-row"][data-type="upgrade.rolled-back"]')).toHaveCount(1);
  const [report] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-download-html').click()]);
  expect(report.suggestedFilename()).toMatch(/\.html$/);
  expect(readFileSync((await report.path())!, 'utf8')).toContain('USB-4411');
});
