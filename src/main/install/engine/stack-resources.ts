import type Dockerode from 'dockerode';
import { FerryError } from '../../../shared/errors';
import type { ContainerSpec } from '../../recipes/recipe-schema';
import { LABEL_INSTALL, NAMED_VOLUME } from './container-spec';
import { asEngineUnreachable } from './engine-errors';
import { expandInstall, type InstallTemplateContext } from '../plan/install-template';

// The engine objects a stack shares besides its containers: the private network every container
// joins (its recipe name as alias) and the named volumes that hold its data. Both carry io.ferry
// labels; Ferry never touches one it did not create. Volumes are removed only when asked.

export const LABEL_RECIPE = 'io.ferry.recipe';
export const LABEL_VOLUME = 'io.ferry.volume';

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

function engineMessage(err: unknown): string {
  return ((err as { json?: { message?: string } }).json?.message ?? (err as Error).message ?? String(err)).trim();
}

/** The recipe names of the container's named volumes (`pgdata` in `pgdata:/var/lib/postgresql/data`). */
export function namedVolumesOf(c: ContainerSpec, ctx: InstallTemplateContext): string[] {
  return (c.volumes ?? [])
    .map((v, i) => expandInstall(v, ctx, `install.containers[${c.name}].volumes.${i}`, 'display').split(':')[0]!)
    .filter((host) => NAMED_VOLUME.test(host));
}

/** Creates the user-defined bridge `name` unless Ferry already did. */
export async function ensureNetwork(docker: Dockerode, name: string, labels: Record<string, string>): Promise<{ created: boolean }> {
  const info = await docker
    .getNetwork(name)
    .inspect()
    .catch((err: unknown) => {
      if (statusOf(err) === 404) return undefined;
      throw asEngineUnreachable(err, docker) ?? new FerryError(`Inspecting network ${name} failed: ${engineMessage(err)}`, 'See the engine log (journalctl -u docker, or -u podman).');
    });
  if (info) {
    if (!(info as { Labels?: Record<string, string> }).Labels?.[LABEL_INSTALL]) {
      throw new FerryError(`A network named ${name} already exists and was not created by Ferry.`, `Ferry never changes networks it did not create. Remove it (docker network rm ${name}) if it is no longer needed, then run this step again.`);
    }
    return { created: false };
  }
  try {
    await docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: labels });
  } catch (err) {
    if (statusOf(err) === 409) return { created: false };
    throw new FerryError(`Creating network ${name} failed: ${engineMessage(err)}`, 'See the engine log; a subnet conflict needs default-address-pools in daemon.json.');
  }
  return { created: true };
}

/** Creates the named volume unless it exists (an existing one keeps its data). */
export async function ensureVolume(docker: Dockerode, name: string, labels: Record<string, string>): Promise<{ created: boolean }> {
  const info = await docker
    .getVolume(name)
    .inspect()
    .catch((err: unknown) => {
      if (statusOf(err) === 404) return undefined;
      throw asEngineUnreachable(err, docker) ?? new FerryError(`Inspecting volume ${name} failed: ${engineMessage(err)}`, 'See the engine log (journalctl -u docker, or -u podman).');
    });
  if (info) return { created: false };
  try {
    await docker.createVolume({ Name: name, Labels: labels });
  } catch (err) {
    throw new FerryError(`Creating volume ${name} failed: ${engineMessage(err)}`, 'See the engine log (disk space, volume driver).');
  }
  return { created: true };
}

/** Removes the network when Ferry created it and no container is attached any more. */
export async function removeNetworkIfUnused(docker: Dockerode, name: string): Promise<boolean> {
  const info = (await docker
    .getNetwork(name)
    .inspect()
    .catch(() => undefined)) as { Labels?: Record<string, string>; Containers?: Record<string, unknown> } | undefined;
  if (!info?.Labels?.[LABEL_INSTALL] || Object.keys(info.Containers ?? {}).length > 0) return false;
  try {
    await docker.getNetwork(name).remove();
    return true;
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw new FerryError(`Removing network ${name} failed: ${engineMessage(err)}`, `Remove it by hand (docker network rm ${name}).`);
  }
}

/** Removes a named volume Ferry created (its data is gone). False when absent or not Ferry's. */
export async function removeVolume(docker: Dockerode, name: string): Promise<boolean> {
  const info = (await docker
    .getVolume(name)
    .inspect()
    .catch(() => undefined)) as { Labels?: Record<string, string> | null } | undefined;
  if (!info?.Labels?.[LABEL_INSTALL]) return false;
  try {
    await docker.getVolume(name).remove();
    return true;
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw new FerryError(`Removing volume ${name} failed: ${engineMessage(err)}`, `A container still uses it: undo that container first, or remove it by hand (docker volume rm ${name}).`);
  }
}
