import { join } from 'node:path';
import { FerryError, UsageError } from '../../shared/errors';
import { isoWithOffset } from '../core/clock';
import type { Progress } from '../jobs/progress';
import { readManifest } from '../bundle/manifest-io';
import { readBundleRecipeInfo, normalizeSource } from '../install/plan/bundle-source';
import { removeContainer } from '../install/engine/container-runner';
import { bindInstallParams, bundleArtifacts, layoutSteps, orderContainers } from '../install/plan/install-plan';
import { containerName, imageRef, installDir } from '../install/plan/install-refs';
import { runStep, type RunnerDeps } from '../install/install-runner';
import { InstallStore, type InstallRecord, type StoredRequest } from '../install/install-store';
import type { StoredPlan } from '../install/install-types';
import { verifyStep } from '../install/steps/step-verify';
import { readBundleNotes } from './bundle-notes';
import { takeBackup } from './upgrade-backup';
import { diffUpgrade } from './upgrade-diff';
import { detachedEnv, type UpgradeDeps } from './upgrade-env';
import { pointInstallAt, snapshot } from './upgrade-record';
import { rollback } from './upgrade-rollback';
import type { UpgradeResult } from '../../shared/upgrade-types';

// `ferry upgrade`: a newer bundle of an installed recipe. Verify it (the install's verify step),
// show what changes and the notes it carries, back up what the upgrade could break, point the
// install at the new bundle and run its steps (push, models, secrets, containers replaced in
// dependency order, health, …); on any failure put the old version back and check its health.
// Each phase is a custody event: upgrade.verified, upgrade.planned, upgrade.backup, the install
// steps (install.step), then upgrade.done or upgrade.rolled-back.

export interface UpgradeRequest {
  installId: string;
  dir?: string;
  volumes?: string[];
  password?: string;
  /** Verify and show the changes only. */
  planOnly?: boolean;
}

export class UpgradeService {
  constructor(private readonly deps: UpgradeDeps) {}

  /** The install as the new bundle would make it: request source, plan and steps (nothing stored). */
  private async newRecord(old: InstallRecord, src: { dir?: string; volumes?: string[] }): Promise<InstallRecord> {
    const source = normalizeSource(src);
    const info = await readBundleRecipeInfo(source);
    if (info.recipe.id !== old.plan.recipe.id) {
      throw new UsageError(`The bundle ${info.manifest.bundleId} carries recipe "${info.recipe.id}", but install ${old.id} runs "${old.plan.recipe.id}".`, 'Upgrade with a bundle of the same recipe, or plan a new install.');
    }
    if (info.manifest.bundleId === old.bundleId) throw new UsageError(`Install ${old.id} already runs bundle ${old.bundleId}.`, 'Give the newer bundle.');
    const { dir: _d, volumes: _v, ...rest } = old.request;
    void _d;
    void _v;
    const request: StoredRequest = { ...rest, ...source };
    const bound = bindInstallParams(info.recipe, info.lock, old.request.params ?? {});
    const stamp = isoWithOffset().replace(/[:.+]/g, '-');
    const base: Omit<StoredPlan, 'steps'> = {
      bundleId: info.manifest.bundleId,
      recipe: info.recipe,
      recipeSha256: info.sha256,
      bundleDir: source.dir ?? join(installDir(this.deps.dataDir, old.id), 'upgrades', stamp, 'bundle'),
      ...bound,
      ...bundleArtifacts(info.manifest, info.lock),
      engine: old.plan.engine,
    };
    const steps = layoutSteps({ installId: old.id, dataDir: this.deps.dataDir, request, engine: base.engine, plan: base });
    return { ...old, bundleId: base.bundleId, recipeId: info.recipe.id, request, plan: { ...base, steps } };
  }

  async upgrade(req: UpgradeRequest, progress: Progress, log: (line: string) => void = () => undefined): Promise<UpgradeResult> {
    const store = new InstallStore(this.deps.db);
    const saved = snapshot(this.deps.db, req.installId);
    const old = saved.record;
    const notDone = old.plan.steps.filter((s) => (s.kind === 'container' || s.kind === 'health') && !['done', 'skipped'].includes(saved.steps.find((x) => x.stepId === s.id)?.state ?? 'pending'));
    if (notDone.length > 0) {
      throw new FerryError(`Install ${old.id} is not complete (${notDone.map((s) => `${s.id} is ${saved.steps.find((x) => x.stepId === s.id)?.state ?? 'pending'}`).join(', ')}).`, `Finish it first (ferry install --resume ${old.id}), then upgrade.`, 'UsageError');
    }
    const next = await this.newRecord(old, { ...(req.dir ? { dir: req.dir } : {}), ...(req.volumes ? { volumes: req.volumes } : {}) });
    const custody = (type: string, details: Record<string, unknown>, bundleId = next.bundleId): void => void this.deps.custody.append({ type, role: 'admin', bundleId, details: { installId: old.id, ...details } });

    // 1. The same gate as the install: hashes, completeness, recipe against lock, approvals.
    progress.phase('verifying the new bundle');
    const env = detachedEnv(this.deps, next, progress, log, req.password);
    const verified = await verifyStep(env);
    custody('upgrade.verified', { fromBundle: old.bundleId, summary: verified.summary });

    // 2. What changes, and the notes the bundle carries.
    const diff = diffUpgrade({ old: { plan: old.plan, request: old.request }, new: { plan: next.plan, request: next.request }, dataDir: this.deps.dataDir, installId: old.id });
    const { manifest } = await readManifest(next.plan.bundleDir);
    const notes = await readBundleNotes(next.plan.bundleDir, manifest);
    custody('upgrade.planned', { fromBundle: old.bundleId, recipe: diff.recipe, images: diff.images, params: diff.params, containers: diff.containers, models: diff.models, notes: { releaseNotes: notes.releaseNotes !== undefined, migrationGuide: notes.migrationGuide !== undefined }, planOnly: req.planOnly === true });
    if (req.planOnly) return { installId: old.id, outcome: 'planned', diff, notes };

    // 3. Backup (the stack is stopped for a consistent copy of its volumes).
    progress.phase('backing up');
    const docker = env.docker();
    const taken = await takeBackup({ db: this.deps.db, custody: this.deps.custody, dataDir: this.deps.dataDir, docker, log }, saved).catch(async (err: unknown) => {
      // Nothing was changed but the stopped stack: start it again, then report.
      for (const c of orderContainers(old.plan.recipe, old.plan.params)) await docker.getContainer(containerName(c.name)).start().catch(() => undefined);
      custody('upgrade.backup-failed', { error: err instanceof Error ? err.message : String(err) }, old.bundleId);
      throw err;
    });
    const { manifest: backup, manifestSha256 } = taken;
    const backupView = { dir: backup.dir, files: backup.files.length, manifestSha256 };

    // 4. Upgrade through the install's own steps.
    const runner: RunnerDeps = { ...this.deps, store };
    let current = 'switch';
    let touched = false;
    try {
      pointInstallAt(this.deps.db, next);
      store.setStep(old.id, 'verify', { state: 'done', finishedAt: isoWithOffset(), result: verified.result, log: [verified.summary] });
      const run = (id: string): Promise<unknown> => runStep(runner, old.id, id, { ...(req.password !== undefined ? { password: req.password } : {}), progress });
      for (const id of next.plan.steps.map((s) => s.id).filter((s) => s !== 'verify')) {
        const step = store.get(old.id).plan.steps.find((s) => s.id === id);
        if (!step) continue;
        current = id;
        if (step.kind === 'container') touched = true;
        await run(id);
        if (step.kind === 'container' && (await this.staleImage(docker, store.get(old.id), id.slice('container:'.length)))) {
          // Same reference, new content (a moved tag): the config hash matched; replace it.
          await removeContainer(docker, containerName(id.slice('container:'.length)));
          await run(id);
        }
      }
      for (const c of orderContainers(old.plan.recipe, old.plan.params)) {
        if (!orderContainers(next.plan.recipe, next.plan.params).some((x) => x.name === c.name)) await removeContainer(docker, containerName(c.name));
      }
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const failure = { step: current, message: e.message, ...(err instanceof FerryError && err.hint ? { hint: err.hint } : {}) };
      progress.phase('rolling back');
      try {
        const r = await rollback({ deps: this.deps, saved, backup, newRecord: next, touched, ...(req.password !== undefined ? { password: req.password } : {}), progress, log, docker });
        custody('upgrade.rolled-back', { reason: failure, toBundle: next.bundleId, backup: backupView, restoredVolumes: r.restoredVolumes, retagged: r.retagged, checked: r.steps }, old.bundleId);
      } catch (rbErr) {
        const m = rbErr instanceof Error ? rbErr.message : String(rbErr);
        custody('upgrade.rollback-failed', { reason: failure, error: m, backup: backupView }, old.bundleId);
        throw new FerryError(
          `Upgrade of install ${old.id} failed at step "${current}" (${e.message}), and the rollback failed too: ${m}`,
          `The backup is in ${backup.dir} (backup.json lists each file and its sha256); restore from it by hand.`,
          'RollbackFailed',
        );
      }
      throw new FerryError(
        `Upgrade of install ${old.id} to bundle ${next.bundleId} failed at step "${current}": ${e.message}. Rolled back: the old version (bundle ${old.bundleId}, ${old.plan.recipe.version}) is running and healthy.`,
        failure.hint ?? 'Fix the cause shown above and run ferry upgrade again.',
        'UpgradeRolledBack',
      );
    }
    custody('upgrade.done', { fromBundle: old.bundleId, recipe: diff.recipe, backup: backupView, images: diff.images.filter((i) => i.change !== 'unchanged') });
    return { installId: old.id, outcome: 'upgraded', diff, notes, backup: backupView };
  }

  /** True when the container runs another image than its reference names now. */
  private async staleImage(docker: import('dockerode'), rec: InstallRecord, name: string): Promise<boolean> {
    const c = rec.plan.recipe.install?.containers?.find((x) => x.name === name);
    const img = c ? rec.plan.images.find((i) => i.id === c.image) : undefined;
    if (!img) return false;
    const ref = imageRef(img, rec.request.registry);
    const info = await docker.getContainer(containerName(name)).inspect().catch(() => undefined);
    const image = await docker.getImage(ref).inspect().catch(() => undefined);
    return info !== undefined && image !== undefined && info.Image !== image.Id;
  }
}
