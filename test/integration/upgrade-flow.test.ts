import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustodyEvent } from '../../src/shared/api';
import type { InstallView } from '../../src/shared/api-install';
import type { BackupManifest, UpgradeResult } from '../../src/shared/upgrade-types';
import { startDockerd, type TestDockerd } from '../harness/dockerd';
import { ferry } from '../harness/ferry-cli';
import { freePort } from '../harness/ports';
import { startRegistry, type TestRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { makeBusyboxLayer, makeLayerTar, writeOciImage, type TestImage } from '../harness/test-images';

// Issue 9's upgrade acceptance, through the built CLI against a real networked dockerd and a TLS +
// auth registry on loopback. A small user recipe (db + app sharing the named volume `data`) is
// bundled three times from OCI layouts: v1 installed; v2 (new app content, release notes and a
// migration guide) upgrades — backup, new digest running, healthy; v3's app overwrites the volume's
// marker and exits at start — the upgrade rolls back: v2 containers running again at their
// digests, healthy, the marker as it was, custody `upgrade.rolled-back`.
// Contacted: loopback and this file's own containers only.

const tmp = tempDir('ferry-upgrade-');
const AUTH = { username: 'ferry', password: 'upgrade-registry-pw' };
const CONNECTED = join(tmp.path, 'connected');
const OFFLINE = join(tmp.path, 'offline');
let engine: TestDockerd;
let registry: TestRegistry;
let appPort = 0;
let dbPort = 0;
let installId = '';
const bundles: Record<number, { dir: string; app: TestImage; db: TestImage }> = {};

const APP = (v: number): string => `#!/bin/sh
mkdir -p /www
echo "app v${v}" > /www/version
echo ok > /www/health
[ -f /data/marker ] || echo "created by app v${v}" > /data/marker
httpd -f -p 8080 -h /www &
pid=$!
trap 'kill $pid 2>/dev/null; exit 0' TERM INT
wait $pid
`;
const APP_BROKEN = `#!/bin/sh
echo "v3 was here" > /data/marker
echo "app v3: the schema migration failed" >&2
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

function recipe(v: number, layout: string): string {
  return `format: ferry.recipe.v1
id: upgrade-test
title: Upgrade test stack
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

/** Bundle version v: its images in a layout, the recipe in the connected data dir, `ferry bundle create`. */
async function makeBundle(v: number, script: string, notes: boolean): Promise<void> {
  const layout = join(tmp.path, `layout-v${v}`);
  const base = await makeBusyboxLayer();
  const extra = ['mkdir', 'test', 'kill'].map((a) => ({ path: `bin/${a}`, type: 'symlink' as const, linkname: 'busybox' }));
  const appLayer = await makeLayerTar([...extra, { path: 'usr/', type: 'directory' }, { path: 'usr/local/', type: 'directory' }, { path: 'usr/local/bin/', type: 'directory' }, { path: 'usr/local/bin/app', content: script, mode: 0o755 }]);
  const dbLayer = await makeLayerTar([...extra, { path: 'usr/', type: 'directory' }, { path: 'usr/local/', type: 'directory' }, { path: 'usr/local/bin/', type: 'directory' }, { path: 'usr/local/bin/db', content: DB, mode: 0o755 }]);
  const app = writeOciImage(layout, { name: `app:${v}.0`, layers: [base, appLayer], cmd: ['/usr/local/bin/app'], exposedPorts: ['8080/tcp'] });
  const db = writeOciImage(layout, { name: 'db:1.0', layers: [base, dbLayer], cmd: ['/usr/local/bin/db'], exposedPorts: ['8081/tcp'] });
  mkdirSync(join(CONNECTED, 'recipes'), { recursive: true });
  writeFileSync(join(CONNECTED, 'recipes', 'upgrade-test.yaml'), recipe(v, layout));
  const extraArgs: string[] = [];
  if (notes) {
    writeFileSync(join(tmp.path, `notes-v${v}.md`), `# Release ${v}.0.0\n\n- the app serves version ${v}\n`);
    writeFileSync(join(tmp.path, `migration-v${v}.md`), `# Migrating to ${v}.0.0\n\nNo manual steps; the data volume is kept.\n`);
    extraArgs.push('--release-notes', join(tmp.path, `notes-v${v}.md`), '--migration-guide', join(tmp.path, `migration-v${v}.md`));
  }
  const dir = join(tmp.path, `bundle-v${v}`);
  const r = await ferry(['bundle', 'create', '--recipe', 'upgrade-test', '--out', dir, ...extraArgs, '--data-dir', CONNECTED, '--json']);
  expect(r.code, r.stderr).toBe(0);
  bundles[v] = { dir, app, db };
}

const env = (): NodeJS.ProcessEnv => ({ DOCKER_HOST: `unix://${engine.socketPath}` });
const common = ['--data-dir', OFFLINE, '--json'];

async function custodyLog(): Promise<CustodyEvent[]> {
  const r = await ferry(['custody', 'log', ...common]);
  expect(r.code, r.stderr).toBe(0);
  return r.json<CustodyEvent[]>();
}

/** The running container's image: its repo digest in the internal registry. */
async function runningDigest(name: string): Promise<{ running: boolean; digest?: string; ref: string }> {
  const info = await engine.docker.getContainer(name).inspect();
  const img = await engine.docker.getImage(info.Image).inspect();
  const digest = img.RepoDigests?.find((d) => d.startsWith(`${registry.host}/up/`))?.split('@')[1];
  return { running: info.State.Running, ref: info.Config.Image, ...(digest ? { digest } : {}) };
}

async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await request(`http://127.0.0.1:${port}${path}`);
  return { status: res.statusCode, body: await res.body.text() };
}

async function execOut(name: string, cmd: string[]): Promise<string> {
  const exec = await engine.docker.getContainer(name).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const buf = Buffer.concat(chunks);
  // Multiplexed stream: drop the 8-byte frame headers.
  const parts: Buffer[] = [];
  for (let off = 0; off + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(off + 4);
    parts.push(buf.subarray(off + 8, off + 8 + size));
    off += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

beforeAll(async () => {
  [appPort, dbPort] = await Promise.all([freePort(), freePort()]);
  if (appPort === dbPort) dbPort = await freePort();
  await makeBundle(1, APP(1), false);
  await makeBundle(2, APP(2), true);
  await makeBundle(3, APP_BROKEN, true);
  [engine, registry] = await Promise.all([startDockerd({ networking: true }), startRegistry({ tls: true, auth: AUTH })]);
}, 600_000);

afterAll(async () => {
  await Promise.allSettled([engine?.stop(), registry?.stop()]);
  tmp.cleanup();
}, 120_000);

const upgradeArgs = (v: number, ...extra: string[]): string[] => ['upgrade', installId, bundles[v]!.dir, '--password-stdin', ...extra, ...common];

describe('ferry upgrade', () => {
  it('installs version 1', async () => {
    const r = await ferry(
      ['install', bundles[1]!.dir, '--registry', `${registry.host}/up`, '--ca', registry.caFile!, '--username', AUTH.username, '--password-stdin',
        '--models-dir', join(tmp.path, 'models'), '--gpu', 'none', '--egress-outside', '127.0.0.1:9', '--health-timeout', '60', ...common],
      { env: env(), input: `${AUTH.password}\n` },
    );
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    installId = r.json<InstallView>().installId;
    expect((await httpGet(appPort, '/version')).body).toBe('app v1\n');
    expect(await execOut('ferry-app', ['cat', '/data/marker'])).toBe('created by app v1\n');
  });

  it('--plan verifies v2 and shows the changes and notes, changing nothing', async () => {
    const r = await ferry(upgradeArgs(2, '--plan'), { env: env(), input: `${AUTH.password}\n` });
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    const p = r.json<UpgradeResult>();
    expect(p.outcome).toBe('planned');
    expect(p.diff.recipe).toMatchObject({ oldVersion: '1.0.0', newVersion: '2.0.0' });
    const app = p.diff.images.find((i) => i.id === 'app')!;
    expect(app).toMatchObject({ change: 'changed', old: { digest: bundles[1]!.app.manifestDigest }, new: { digest: bundles[2]!.app.manifestDigest } });
    expect(p.diff.images.find((i) => i.id === 'db')!.change).toBe('unchanged');
    expect(p.diff.containers.find((c) => c.name === 'app')!.fields.map((f) => f.field)).toEqual(expect.arrayContaining(['image', 'env.APP_MODE']));
    expect(p.notes.releaseNotes).toContain('# Release 2.0.0');
    expect(p.notes.migrationGuide).toContain('Migrating to 2.0.0');
    expect((await httpGet(appPort, '/version')).body).toBe('app v1\n');
    const text = await ferry(['upgrade', installId, bundles[2]!.dir, '--password-stdin', '--plan', '--data-dir', OFFLINE], { env: env(), input: `${AUTH.password}\n` });
    expect(text.stdout).toMatch(/~ app\s+.*app:1\.0 sha256:[0-9a-f]{64} → .*app:2\.0 sha256:/);
    expect(text.stdout).toContain('── Release notes ──');
  });

  it('upgrades to v2: backup recorded, new digest running and healthy, the volume kept', async () => {
    const r = await ferry(upgradeArgs(2), { env: env(), input: `${AUTH.password}\n` });
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    const u = r.json<UpgradeResult>();
    expect(u.outcome).toBe('upgraded');
    const app = await runningDigest('ferry-app');
    expect(app).toMatchObject({ running: true, digest: bundles[2]!.app.manifestDigest, ref: `${registry.host}/up/app:2.0` });
    expect((await runningDigest('ferry-db')).running).toBe(true);
    expect((await httpGet(appPort, '/version')).body).toBe('app v2\n');
    expect(await execOut('ferry-app', ['cat', '/data/marker'])).toBe('created by app v1\n');

    const backup = JSON.parse(readFileSync(join(u.backup!.dir, 'backup.json'), 'utf8')) as BackupManifest;
    expect(backup.files.map((f) => f.kind).sort()).toEqual(expect.arrayContaining(['install-record', 'volume', 'custody-db']));
    expect(backup.volumes.map((v) => v.mountPath)).toContain('/data');
    expect(statSync(u.backup!.dir).mode & 0o777).toBe(0o700);
    for (const f of backup.files) expect(statSync(join(u.backup!.dir, f.path)).mode & 0o777, f.path).toBe(0o600);
    expect(readFileSync(join(u.backup!.dir, 'install-record.json'), 'utf8')).not.toContain(AUTH.password);

    const show = await ferry(['install', 'show', installId, ...common]);
    expect(show.json<InstallView>().bundleId).toBe(u.diff.newBundleId);
    const types = (await custodyLog()).map((e) => e.type);
    for (const t of ['upgrade.verified', 'upgrade.planned', 'upgrade.backup', 'upgrade.done']) expect(types).toContain(t);
    const done = (await custodyLog()).filter((e) => e.type === 'install.step' && (e.details as { step?: string }).step === 'container:app');
    expect(done.length).toBeGreaterThanOrEqual(2);
  });

  it('rolls back a v3 whose app exits at start: v2 running again at its digests, healthy, the volume restored', async () => {
    await execOut('ferry-app', ['sh', '-c', 'echo "kept across upgrades" > /data/marker']);
    const r = await ferry(upgradeArgs(3), { env: env(), input: `${AUTH.password}\n` });
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(1);
    const err = JSON.parse(r.stdout.trim().split('\n').pop()!) as { error: { message: string } };
    expect(err.error.message).toMatch(/failed at step "(health|container:app)"/);
    expect(err.error.message).toMatch(/Rolled back: the old version .* is running/);
    const app = await runningDigest('ferry-app');
    expect(app).toMatchObject({ running: true, digest: bundles[2]!.app.manifestDigest });
    expect((await runningDigest('ferry-db')).digest).toBe(bundles[2]!.db.manifestDigest);
    expect(await httpGet(appPort, '/health')).toMatchObject({ status: 200 });
    expect((await httpGet(appPort, '/version')).body).toBe('app v2\n');
    expect(await execOut('ferry-app', ['cat', '/data/marker'])).toBe('kept across upgrades\n');

    const log = await custodyLog();
    const rb = log.find((e) => e.type === 'upgrade.rolled-back');
    expect(rb, 'upgrade.rolled-back in custody').toBeDefined();
    expect((rb!.details as { restoredVolumes: string[] }).restoredVolumes.length).toBe(1);
    expect(JSON.stringify((rb!.details as { reason: unknown }).reason)).toMatch(/exited|health/i);
    const show = await ferry(['install', 'show', installId, ...common]);
    const v = show.json<InstallView>();
    expect(v.recipe.version).toBe('2.0.0');
    expect(v.steps.every((s) => s.state === 'done' || s.state === 'skipped')).toBe(true);
  });
});
