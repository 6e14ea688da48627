import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { FerryError } from '../../shared/errors';
import { isoWithOffset } from '../core/clock';
import type { CustodyStore } from '../custody/custody-store';
import type { Db } from '../db/database';
import { orderContainers } from '../install/plan/install-plan';
import { containerName, installDir, secretsDir } from '../install/plan/install-refs';
import { archiveVolume, namedVolumes, type VolumeMount } from './upgrade-volumes';
import type { SavedRecord } from './upgrade-record';
import type { BackupFileEntry, BackupManifest } from '../../shared/upgrade-types';

// Before an upgrade: everything it could break, under <dataDir>/installs/<id>/backups/<time>/
// (0700): the install record (request without password, plan, step states), the generated
// secrets (0600), each named volume the stack mounts (a tar through the engine, containers
// stopped first), and the custody database (SQLite online backup). Each file hashed, listed
// in backup.json, and recorded in custody as `upgrade.backup`.

export const BACKUP_MANIFEST = 'backup.json';
const STOP_SECONDS = 10;

export interface BackupDeps {
  db: Db;
  custody: CustodyStore;
  dataDir: string;
  docker: Dockerode;
  log: (line: string) => void;
}

async function sha256File(path: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    h.update(chunk);
    size += chunk.length;
  }
  return { sha256: h.digest('hex'), size };
}

async function writePrivate(path: string, data: string | Buffer): Promise<{ sha256: string; size: number }> {
  await writeFile(path, data, { mode: 0o600 });
  await chmod(path, 0o600);
  const b = typeof data === 'string' ? Buffer.from(data) : data;
  return { sha256: createHash('sha256').update(b).digest('hex'), size: b.length };
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** The stack's containers as they are now (in dependency order), with their named volumes. */
async function stackContainers(docker: Dockerode, saved: SavedRecord): Promise<{ name: string; info: Dockerode.ContainerInspectInfo }[]> {
  const out: { name: string; info: Dockerode.ContainerInspectInfo }[] = [];
  for (const c of orderContainers(saved.record.plan.recipe, saved.record.plan.params)) {
    const info = await docker
      .getContainer(containerName(c.name))
      .inspect()
      .catch(() => undefined);
    if (info) out.push({ name: c.name, info });
  }
  return out;
}

/** Stops the stack (dependents first) and writes the backup; returns its manifest and the manifest's sha256. */
export async function takeBackup(deps: BackupDeps, saved: SavedRecord): Promise<{ manifest: BackupManifest; manifestSha256: string }> {
  const { record } = saved;
  const dir = join(installDir(deps.dataDir, record.id), 'backups', stamp());
  await mkdir(join(dir, 'secrets'), { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const files: BackupFileEntry[] = [];

  const rec = await writePrivate(join(dir, 'install-record.json'), `${JSON.stringify(saved, null, 2)}\n`);
  files.push({ path: 'install-record.json', kind: 'install-record', ...rec });

  const sdir = secretsDir(deps.dataDir, record.id);
  const names = await readdir(sdir).catch(() => [] as string[]);
  await chmod(join(dir, 'secrets'), 0o700);
  for (const n of names.sort()) {
    await copyFile(join(sdir, n), join(dir, 'secrets', n));
    await chmod(join(dir, 'secrets', n), 0o600);
    files.push({ path: `secrets/${n}`, kind: 'secret', ...(await sha256File(join(dir, 'secrets', n))) });
  }

  const running = await stackContainers(deps.docker, saved);
  for (const c of [...running].reverse()) {
    deps.log(`stopping ${c.info.Name.replace(/^\//, '')} for the backup`);
    await deps.docker
      .getContainer(c.info.Id)
      .stop({ t: STOP_SECONDS })
      .catch((err: { statusCode?: number; message?: string }) => {
        if (err.statusCode !== 304 && err.statusCode !== 404) throw new FerryError(`Stopping ${c.info.Name} for the backup failed: ${err.message ?? String(err)}`);
      });
  }
  const volumes: VolumeMount[] = [];
  for (const c of running) for (const v of await namedVolumes(deps.docker, c.info)) if (!volumes.some((x) => x.name === v.name)) volumes.push(v);
  if (volumes.length) await mkdir(join(dir, 'volumes'), { recursive: true, mode: 0o700 });
  for (const v of volumes) {
    const rel = `volumes/${v.name}.tar`;
    const w = await archiveVolume(deps.docker, v, join(dir, rel));
    deps.log(`volume ${v.name} (${v.container}:${v.mountPath}) → ${rel} (${w.size} bytes)`);
    files.push({ path: rel, kind: 'volume', size: w.size, sha256: w.sha256, volume: v.name, mountPath: v.mountPath });
  }

  await deps.db.backup(join(dir, 'custody.db'));
  await chmod(join(dir, 'custody.db'), 0o600);
  files.push({ path: 'custody.db', kind: 'custody-db', ...(await sha256File(join(dir, 'custody.db'))) });

  const manifest: BackupManifest = {
    format: 'ferry.upgrade-backup.v1',
    installId: record.id,
    bundleId: record.bundleId,
    createdAt: isoWithOffset(),
    dir,
    files,
    containers: running.map((c) => ({ name: c.name, image: c.info.Config.Image, imageId: c.info.Image })),
    volumes: volumes.map((v) => ({ name: v.name, mountPath: v.mountPath, container: v.container, labels: v.labels, driver: v.driver })),
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  const { sha256: manifestSha256 } = await writePrivate(join(dir, BACKUP_MANIFEST), text);
  deps.custody.append({
    type: 'upgrade.backup',
    role: 'admin',
    bundleId: record.bundleId,
    details: { installId: record.id, dir, manifestSha256, files: files.map((f) => ({ path: f.path, kind: f.kind, size: f.size, sha256: f.sha256 })), containers: manifest.containers },
  });
  return { manifest, manifestSha256 };
}

/** Puts the backed-up secrets back (files the upgrade generated are removed). */
export async function restoreSecrets(dataDir: string, manifest: BackupManifest): Promise<void> {
  const sdir = secretsDir(dataDir, manifest.installId);
  const secrets = manifest.files.filter((f) => f.kind === 'secret');
  await rm(sdir, { recursive: true, force: true });
  await mkdir(sdir, { recursive: true, mode: 0o700 });
  for (const f of secrets) {
    const src = join(manifest.dir, f.path);
    const got = await sha256File(src);
    if (got.sha256 !== f.sha256) throw new FerryError(`Backup file ${src} changed since the backup (sha256 ${got.sha256}).`, 'Restore the secrets by hand from a copy you trust.');
    const dest = join(sdir, f.path.slice('secrets/'.length));
    await copyFile(src, dest);
    await chmod(dest, 0o600);
  }
}

/** Checks a backed-up file's hash before it is restored. */
export async function checkBackupFile(manifest: BackupManifest, entry: BackupFileEntry): Promise<string> {
  const path = join(manifest.dir, entry.path);
  const got = await sha256File(path);
  if (got.sha256 !== entry.sha256) throw new FerryError(`Backup file ${path} changed since the backup (sha256 ${got.sha256}, recorded ${entry.sha256}).`, 'It cannot be restored safely; restore from another copy.');
  return path;
}
