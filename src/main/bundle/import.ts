import { join, resolve } from 'node:path';
import type { ImportRequest, ImportResult, VerifyResult } from '../../shared/api';
import { FerryError, UsageError } from '../../shared/errors';
import type { CustodyStore } from '../custody/custody-store';
import { planDockerArchive } from '../docker/docker-archive';
import { dockerFromEnv, loadIntoDocker } from '../docker/docker-loader';
import type { HashPool } from '../hash/hash-pool';
import { OciLayout } from '../oci/layout';
import type { Credentials } from '../registry/auth';
import { RegistryClient } from '../registry/registry-client';
import { checkOllamaRequest, importOllama } from '../ollama/import-ollama';
import { carriedModels, ensureOmittedModelFiles } from '../delta/delta-check';
import { refuseUnresolved } from '../review/overrides';
import { readManifest } from './manifest-io';
import { IMAGES_DIR, type ImageArtifact, type ModelArtifact } from './manifest-schema';
import { placeModels } from './place-models';
import { pushImages } from './push-images';
import { parseRegistryTarget } from './registry-target';
import { verifyBundle } from './verify';
import type { Progress } from '../jobs/progress';

export interface ImportDeps {
  custody: CustodyStore;
  pool: HashPool;
  /** Station approval policy (review/gate.ts): throws when the bundle may not be imported. */
  approvals?: (dir: string) => Promise<unknown>;
  /** Registry logins stored on the station: used when the request gives no user name. */
  credentials?: (host: string) => Credentials | undefined;
}

const ROLE = 'admin';

/**
 * Verifies a bundle folder and records the verdict in custody; a bundle with any problem is
 * refused naming the first file ("nothing was <done>"). Shared by import and the guided install.
 */
export async function verifyOrRefuse(dir: string, deps: Pick<ImportDeps, 'custody' | 'pool'>, progress: Progress, purpose: 'import' | 'install'): Promise<VerifyResult> {
  const verdict = await verifyBundle(dir, deps.pool, progress);
  deps.custody.append({
    type: 'verified',
    role: ROLE,
    bundleId: verdict.bundleId,
    details: { dir, ok: verdict.ok, files: verdict.checkedFiles, bytes: verdict.checkedBytes, problems: verdict.problems.length, purpose },
  });
  if (!verdict.ok) {
    const first = verdict.problems[0]!;
    throw new FerryError(
      `Bundle ${dir} failed verification (${verdict.problems.length} problem(s), first: ${first.path}: ${first.detail}); nothing was ${purpose === 'import' ? 'imported' : 'installed'}.`,
      `Run "ferry verify ${dir}" to list every problem.`,
      'VerificationFailed',
    );
  }
  return verdict;
}

/** Verifies the whole bundle first; nothing is imported from a bundle that fails. */
export async function importBundle(req: ImportRequest, deps: ImportDeps, progress: Progress): Promise<ImportResult> {
  checkOllamaRequest(req);
  if (!req.registry && !req.docker && !req.modelsDir && !req.ollamaModels) {
    throw new UsageError('Nothing to do: choose a registry, Docker, a models directory or an Ollama models folder.', 'Use --registry HOST[:PORT][/PREFIX], --docker, --models-dir DIR and/or --ollama-models DIR.');
  }
  const dir = resolve(req.dir);
  const target = req.registry ? parseRegistryTarget(req.registry) : undefined;

  await verifyOrRefuse(dir, deps, progress, 'import');
  // Blocking findings need an override that verifies over this manifest (the approval gate
  // further requires pinned signers where the station's policy requires approvals).
  const blocks = await refuseUnresolved(dir, 'imported');
  await deps.approvals?.(dir);
  const { manifest } = await readManifest(dir);
  if (blocks.valid.length > 0) {
    progress.phase(`importing with ${blocks.valid.length} overridden finding(s): ${blocks.valid.map((o) => `${o.file} (${o.rule}) accepted by ${o.by.name}`).join('; ')}`);
    deps.custody.append({
      type: 'overrides-accepted',
      role: ROLE,
      bundleId: manifest.bundleId,
      details: { dir, overrides: blocks.valid.map((o) => ({ file: o.file, rule: o.rule, detail: o.detail, reason: o.reason, by: o.by.name, reviewerFingerprint: o.by.fingerprint, at: o.at })) },
    });
  }
  const images = manifest.artifacts.filter((a): a is ImageArtifact => a.kind === 'image');
  const models = manifest.artifacts.filter((a): a is ModelArtifact => a.kind === 'model');
  const layout = images.length > 0 ? await OciLayout.open(join(dir, IMAGES_DIR)) : undefined;
  // A delta: what it leaves out must already be here; checked before anything is pushed or placed.
  if (manifest.delta && req.docker && images.length > 0) throw new UsageError(`Bundle ${dir} is a delta (made against the inventory of ${manifest.delta.station}); it can only be pushed into a registry that holds what it leaves out, not loaded into Docker.`, 'Import it with --registry, then pull from there; or bring the full bundle.');
  if (manifest.delta && req.modelsDir) await ensureOmittedModelFiles(manifest.delta, req.modelsDir, deps.pool, progress.signal);
  const result: ImportResult = { bundleId: manifest.bundleId, registry: [], docker: [], models: [] };

  if (target && layout && images.length > 0) {
    progress.phase('pushing to registry');
    const client = new RegistryClient({
      registry: target.registry,
      insecure: (req.insecureRegistries ?? []).includes(target.registry),
      caFile: req.caFile,
      credentials: req.username ? { username: req.username, password: req.password ?? '' } : deps.credentials?.(target.registry),
    });
    result.registry = await pushImages(images, layout, client, target, progress, undefined, manifest.delta);
    deps.custody.append({ type: 'imported', role: ROLE, bundleId: manifest.bundleId, details: { into: 'registry', registry: req.registry, images: result.registry.map((i) => ({ target: i.target, digest: i.digest })) } });
  }
  if (req.docker && layout && images.length > 0) {
    progress.phase('loading into Docker');
    const docker = dockerFromEnv(req.dockerHost);
    const itemId = 'docker:load';
    const wanted = images.map((a) => ({ manifestDigest: a.digest, tag: dockerTag(a) }));
    progress.item(itemId, 'docker load', (await planDockerArchive(layout.dir, wanted.map((w) => ({ manifestDigest: w.manifestDigest, repoTags: [w.tag] })))).totalBytes);
    const loaded = await loadIntoDocker(docker, layout.dir, wanted, {
      signal: progress.signal,
      onBytes: (n) => progress.advance(n, itemId),
    });
    progress.itemState(itemId, 'done');
    result.docker = loaded.map((l, i) => ({ source: images[i]!.source, tag: l.tag, imageId: l.imageId }));
    deps.custody.append({ type: 'imported', role: ROLE, bundleId: manifest.bundleId, details: { into: 'docker', images: result.docker } });
  }
  if (req.modelsDir && models.length > 0) {
    progress.phase('placing models');
    result.models = await placeModels(dir, carriedModels(models, manifest.delta), req.modelsDir, progress);
    deps.custody.append({ type: 'imported', role: ROLE, bundleId: manifest.bundleId, details: { into: 'models', models: result.models } });
  }
  Object.assign(result, await importOllama(dir, manifest, req, deps.custody, progress));
  return result;
}

/** The tag an image is loaded into the engine under: its source reference (or a digest-derived tag). */
export function dockerTag(a: Pick<ImageArtifact, 'registry' | 'repository' | 'tag' | 'digest'>): string {
  return `${a.registry}/${a.repository}:${a.tag ?? `digest-${a.digest.slice(7, 19)}`}`;
}
