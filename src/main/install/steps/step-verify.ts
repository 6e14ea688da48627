import { rm } from 'node:fs/promises';
import { FerryError } from '../../../shared/errors';
import { verifyOrRefuse } from '../../bundle/import';
import { readManifest } from '../../bundle/manifest-io';
import { assembleMedia, verifyMedia } from '../../media/media-service';
import { loadVolumeSet } from '../../media/volume-set';
import { readBundleRecipe } from '../../recipes/bundle-recipe';
import { refuseUnresolved } from '../../review/overrides';
import { approvalGate } from '../../review/gate';
import type { StepEnv, StepOutcome } from './step-env';

// Step 1: everything checked before anything is pushed or started. Volumes are verified file by
// file against their labels, then assembled (hashed again as they stream) into the install's
// folder; a bundle folder is verified against its manifest. Then the approvals gate.

export async function verifyStep(env: StepEnv): Promise<StepOutcome> {
  const { request, plan } = env.record;
  const deps = { custody: env.custody, pool: env.pool };
  const result: Record<string, unknown> = { bundleDir: plan.bundleDir };
  if (request.volumes?.length) {
    const set = await loadVolumeSet(request.volumes);
    const volumes = set.volumes.map((v) => ({
      dir: v.dir,
      volume: `${v.label.volume.index} of ${v.label.volume.count}`,
      volumeId: v.label.volumeId,
      mediaSerial: v.label.mediaSerial ?? null,
    }));
    env.custody.append({ type: 'received', role: 'admin', bundleId: set.bundleId, details: { installId: env.installId, media: true, volumes } });
    const r = await verifyMedia(request.volumes, deps, env.progress);
    if (!r.ok) {
      const first = r.problems[0];
      const where = first ? `${first.volume}: ${first.path ? `${first.path}: ` : ''}${first.detail}` : 'no readable manifest';
      for (const p of r.problems.slice(0, 20)) env.log(`${p.volume}: ${p.path} ${p.kind}: ${p.detail}`);
      throw new FerryError(
        `The volumes failed verification (${r.problems.length} problem(s), first: ${where}); nothing was installed.`,
        `Run "ferry media verify ${request.volumes.join(' ')}" to list every problem; replace the damaged volume.`,
        'VerificationFailed',
      );
    }
    await rm(plan.bundleDir, { recursive: true, force: true });
    await rm(`${plan.bundleDir}.partial`, { recursive: true, force: true });
    const a = await assembleMedia(request.volumes, plan.bundleDir, deps, env.progress);
    env.log(`assembled ${a.files} files (${a.joined} joined from parts) into ${a.dir}`);
    Object.assign(result, { volumes, files: r.checkedFiles, bytes: r.checkedBytes });
  } else {
    env.custody.append({ type: 'received', role: 'admin', bundleId: plan.bundleId, details: { installId: env.installId, dir: plan.bundleDir } });
    const v = await verifyOrRefuse(plan.bundleDir, deps, env.progress, 'install');
    Object.assign(result, { files: v.checkedFiles, bytes: v.checkedBytes });
  }
  const { manifest } = await readManifest(plan.bundleDir);
  if (manifest.bundleId !== plan.bundleId) {
    throw new FerryError(`The bundle given is ${manifest.bundleId}, but this install was planned for ${plan.bundleId}.`, 'Insert the volumes of the planned bundle, or plan a new install.');
  }
  const { sha256 } = await readBundleRecipe(plan.bundleDir);
  if (sha256 !== plan.recipeSha256) throw new FerryError(`The bundle's recipe.yaml changed since this install was planned (sha256 ${sha256}).`, 'Plan a new install.');
  await refuseUnresolved(plan.bundleDir, 'installed'); // a blocking finding needs a signed override
  const approvals = await approvalGate(env.db, env.custody)(plan.bundleDir);
  if (approvals) result.approvedBy = approvals.approvedBy;
  return { result, summary: `bundle ${manifest.bundleId} verified (${String(result.files)} files)${approvals ? `, approved by ${approvals.approvedBy.length}` : ''}` };
}
