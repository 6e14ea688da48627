import type Dockerode from 'dockerode';
import type { Progress } from '../jobs/progress';
import { parseRegistryTarget, targetRepository } from '../bundle/registry-target';
import { removeContainer } from '../install/engine/container-runner';
import { orderContainers } from '../install/plan/install-plan';
import { containerName, imageRef } from '../install/plan/install-refs';
import { runStep } from '../install/install-runner';
import { InstallStore, type InstallRecord } from '../install/install-store';
import { RegistryClient } from '../registry/registry-client';
import { checkBackupFile, restoreSecrets } from './upgrade-backup';
import { detachedEnv, type UpgradeDeps } from './upgrade-env';
import { restoreRecord, type SavedRecord } from './upgrade-record';
import type { BackupManifest } from '../../shared/upgrade-types';
import { restoreVolume } from './upgrade-volumes';
import { registryCredentials } from '../install/steps/step-push';
import { splitTag } from '../docker/docker-loader';

// After a failed upgrade: the old version back, as the backup recorded it. The new containers
// are removed; named volumes are restored from their tars when a new container ran with them;
// the secrets and the install record (plan, request, step states) are put back; a tag the new
// bundle moved is pointed at the old digest again (registry manifest, or the engine's tag);
// then the old containers are started through the install's own container steps and checked
// with its health step.

export interface RollbackInput {
  deps: UpgradeDeps;
  saved: SavedRecord;
  backup: BackupManifest;
  newRecord: InstallRecord;
  /** A container step of the new version ran (volumes may have been written). */
  touched: boolean;
  password?: string;
  progress: Progress;
  log: (line: string) => void;
  docker: Dockerode;
}

export interface RollbackResult {
  restoredVolumes: string[];
  retagged: string[];
  steps: string[];
}

async function retag(input: RollbackInput): Promise<string[]> {
  const old = input.saved.record;
  const registry = old.request.registry;
  const moved = old.plan.images.filter((o) => input.newRecord.plan.images.some((n) => imageRef(n, input.newRecord.request.registry) === imageRef(o, registry) && n.digest !== o.digest));
  const out: string[] = [];
  if (moved.length === 0) return out;
  if (registry) {
    const target = parseRegistryTarget(registry);
    const env = detachedEnv(input.deps, old, input.progress, input.log, input.password);
    const client = new RegistryClient({ registry: target.registry, insecure: (old.request.insecureRegistries ?? []).includes(target.registry), caFile: old.request.caFile, credentials: registryCredentials(env) });
    try {
      for (const img of moved) {
        if (!img.tag) continue;
        const repo = targetRepository(target, img.target);
        const m = await client.getManifest(repo, img.digest);
        await client.putManifest(repo, img.tag, m.bytes, m.mediaType);
        input.log(`${imageRef(img, registry)} points at ${img.digest} again`);
        out.push(imageRef(img, registry));
      }
    } finally {
      await client.close();
    }
    return out;
  }
  for (const img of moved) {
    const ref = imageRef(img, undefined);
    const was = input.backup.containers.find((c) => c.image === ref);
    if (!was) continue;
    const { repo, tag } = splitTag(ref);
    await input.docker.getImage(was.imageId).tag({ repo, tag });
    input.log(`${ref} tags ${was.imageId} again`);
    out.push(ref);
  }
  return out;
}

export async function rollback(input: RollbackInput): Promise<RollbackResult> {
  const { deps, saved, backup, docker } = input;
  const restoredVolumes: string[] = [];
  if (input.touched) {
    const names = new Set([...orderContainers(input.newRecord.plan.recipe, input.newRecord.plan.params), ...orderContainers(saved.record.plan.recipe, saved.record.plan.params)].map((c) => containerName(c.name)));
    for (const n of names) if (await removeContainer(docker, n)) input.log(`removed ${n}`);
    for (const v of backup.volumes) {
      const entry = backup.files.find((f) => f.kind === 'volume' && f.volume === v.name);
      if (!entry) continue;
      const tar = await checkBackupFile(backup, entry);
      const helper = backup.containers.find((c) => containerName(c.name) === v.container) ?? backup.containers[0];
      if (!helper) continue;
      input.progress.phase(`restoring volume ${v.name}`);
      await restoreVolume(docker, v, tar, helper.imageId, saved.record.id);
      input.log(`volume ${v.name} restored from ${entry.path}`);
      restoredVolumes.push(v.name);
    }
  }
  await restoreSecrets(deps.dataDir, backup);
  restoreRecord(deps.db, saved);
  const retagged = await retag(input);
  const runner = { ...deps, store: new InstallStore(deps.db) };
  const steps = saved.record.plan.steps.filter((s) => s.kind === 'container' || s.kind === 'health').map((s) => s.id);
  for (const id of steps) {
    input.progress.phase(`rollback: ${id}`);
    await runStep(runner, saved.record.id, id, { ...(input.password !== undefined ? { password: input.password } : {}), progress: input.progress });
  }
  return { restoredVolumes, retagged, steps };
}
