import type Dockerode from 'dockerode';
import { lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FerryError } from '../../shared/errors';
import { writeVerified } from '../io/verified-write';

/**
 * Saves an image from the local Docker engine (`docker save`, through dockerode's
 * `getImage().get()`) into `spoolDir/<image id>.tar`, once per image id, and returns the file:
 * it is then read as a docker-archive, so resolution and acquisition see a stable file.
 */
export async function spoolDockerImage(docker: Dockerode, name: string, spoolDir: string, signal?: AbortSignal): Promise<string> {
  let id: string;
  try {
    id = (await docker.getImage(name).inspect()).Id;
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 404) throw new FerryError(`The Docker engine has no image ${name}`, `Pull or build it first (docker pull ${name}), or name another image.`);
    throw new FerryError(`Cannot ask the Docker engine about ${name}: ${(err as Error).message}`, 'Check that Docker is running and DOCKER_HOST points at it.');
  }
  const hex = /^sha256:([a-f0-9]{64})$/.exec(id)?.[1];
  if (!hex) throw new FerryError(`The Docker engine reports an unexpected image id ${id} for ${name}`);
  const file = join(spoolDir, `${hex}.tar`);
  if ((await lstat(file).catch(() => undefined))?.isFile()) return file;
  await mkdir(spoolDir, { recursive: true });
  const stream = (await docker.getImage(name).get()) as NodeJS.ReadableStream;
  await writeVerified(Readable.from(stream as AsyncIterable<Buffer>), file, {}, { signal });
  return file;
}
