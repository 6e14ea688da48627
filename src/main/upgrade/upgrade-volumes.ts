import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import type Dockerode from 'dockerode';
import { FerryError } from '../../shared/errors';
import { writeVerified, type Written } from '../io/verified-write';
import { LABEL_INSTALL } from '../install/engine/container-spec';

// Named volumes through the engine, never through the host's file system: a backup is the tar
// `docker cp CONTAINER:MOUNT -` gives (getArchive on the stopped container), a restore recreates
// the volume and unpacks the tar through a helper container that is created, never started,
// from one of the stack's own images (no pulls).

export interface VolumeMount {
  name: string;
  mountPath: string;
  container: string;
  labels: Record<string, string>;
  driver: string;
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

function engineMessage(err: unknown): string {
  const json = (err as { json?: { message?: string } }).json;
  return (json?.message ?? (err as Error).message ?? String(err)).trim();
}

/** The named volumes the container mounts (bind mounts and anonymous volumes are not ours to keep). */
export async function namedVolumes(docker: Dockerode, info: Dockerode.ContainerInspectInfo): Promise<VolumeMount[]> {
  const out: VolumeMount[] = [];
  for (const m of info.Mounts ?? []) {
    if (m.Type !== 'volume' || !m.Name) continue;
    const v = await docker
      .getVolume(m.Name)
      .inspect()
      .catch(() => undefined);
    // Anonymous volumes (64 hex) come and go with their container.
    if (/^[0-9a-f]{64}$/.test(m.Name) && !v?.Labels?.[LABEL_INSTALL]) continue;
    out.push({ name: m.Name, mountPath: m.Destination, container: info.Name.replace(/^\//, ''), labels: (v?.Labels as Record<string, string> | null) ?? {}, driver: v?.Driver ?? 'local' });
  }
  return out;
}

/** Writes the volume's content (as mounted in the stopped container) to `dest` as a tar, 0600, hashed while written. */
export async function archiveVolume(docker: Dockerode, vol: VolumeMount, dest: string): Promise<Written> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.getContainer(vol.container).getArchive({ path: vol.mountPath })) as NodeJS.ReadableStream;
  } catch (err) {
    throw new FerryError(`Backing up volume ${vol.name} (${vol.container}:${vol.mountPath}) failed: ${engineMessage(err)}`, 'Check the container still exists and the engine is running; nothing was changed.');
  }
  const w = await writeVerified(stream as AsyncIterable<Uint8Array>, dest, {});
  await chmod(dest, 0o600);
  return w;
}

/**
 * Replaces the volume's content with the tar at `tarPath`: the volume is removed and created again
 * (same driver and labels), then the tar is unpacked into it through a helper container from
 * `helperImage` that is never started. Containers using the volume must be removed first.
 */
export async function restoreVolume(docker: Dockerode, vol: VolumeMount, tarPath: string, helperImage: string, installId: string): Promise<void> {
  if (vol.mountPath === '/' || !vol.mountPath.startsWith('/')) throw new FerryError(`Volume ${vol.name}: cannot restore a volume mounted at "${vol.mountPath}".`);
  try {
    await docker.getVolume(vol.name).remove();
  } catch (err) {
    if (statusOf(err) === 409) throw new FerryError(`Restoring volume ${vol.name}: it is still in use (${engineMessage(err)}).`, `Stop and remove the containers using it (docker ps -a --filter volume=${vol.name}), then restore ${tarPath} by hand.`);
    if (statusOf(err) !== 404) throw new FerryError(`Restoring volume ${vol.name}: removing it failed: ${engineMessage(err)}`);
  }
  await docker.createVolume({ Name: vol.name, Driver: vol.driver, Labels: vol.labels });
  const helper = await docker.createContainer({
    name: `ferry-restore-${randomBytes(4).toString('hex')}`,
    Image: helperImage,
    Entrypoint: ['/ferry-restore-never-started'],
    Cmd: [],
    Labels: { [LABEL_INSTALL]: installId, 'io.ferry.role': 'volume-restore' },
    HostConfig: { Binds: [`${vol.name}:${vol.mountPath}`], NetworkMode: 'none' },
  });
  try {
    // getArchive's entries are named after the mount point's last part: unpack into its parent.
    await helper.putArchive(createReadStream(tarPath), { path: posix.dirname(vol.mountPath) || dirname(vol.mountPath) });
  } catch (err) {
    throw new FerryError(`Restoring volume ${vol.name} from ${tarPath} failed: ${engineMessage(err)}`, `Unpack it by hand: docker run --rm -v ${vol.name}:${vol.mountPath} -v ${tarPath}:/b.tar IMAGE tar -xf /b.tar -C ${posix.dirname(vol.mountPath)}`);
  } finally {
    await helper.remove({ force: true, v: false }).catch(() => undefined);
  }
}
