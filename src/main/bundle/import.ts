import { resolve } from 'node:path';
import type { ImportRequest, ImportResult, VerifyResult } from '../../shared/api';
import { FerryError, UsageError } from '../../shared/errors';
import type { CustodyStore } from '../custody/custody-store';
import { deliverBundle } from '../deliver/deliver';
import { precheckBundle } from '../deliver/precheck';
import { dockerFromEnv } from '../docker/docker-loader';
import type { HashPool } from '../hash/hash-pool';
import type { Progress } from '../jobs/progress';
import { checkOllamaRequest, confirmOllama } from '../ollama/import-ollama';
import type { Credentials } from '../registry/auth';
import { refuseUnresolved } from '../review/overrides';
import { readManifest } from './manifest-io';
import { parseRegistryTarget } from './registry-target';
import { verifyBundle } from './verify';

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

/**
 * `ferry import`: the manifest, the approval gate, overrides, safe paths and sizes are checked up
 * front (deliver/precheck.ts, no re-hash); then deliver/ delivers to each target asked for, reading
 * every file once and proving it while it streams, so nothing unproven becomes visible. `ferry verify`
 * remains the full read for those who want it first.
 */
export async function importBundle(req: ImportRequest, deps: ImportDeps, progress: Progress): Promise<ImportResult> {
  checkOllamaRequest(req);
  if (!req.registry && !req.docker && !req.modelsDir && !req.ollamaModels) {
    throw new UsageError('Nothing to do: choose a registry, Docker, a models directory or an Ollama models folder.', 'Use --registry HOST[:PORT][/PREFIX], --docker, --models-dir DIR and/or --ollama-models DIR.');
  }
  const dir = resolve(req.dir);
  if (req.registry) parseRegistryTarget(req.registry);

  progress.phase('checking the bundle');
  const { manifest } = await readManifest(dir);
  const manifests = await precheckBundle(dir, manifest, progress.signal).catch((err: unknown) => {
    deps.custody.append({ type: 'verified', role: ROLE, bundleId: manifest.bundleId, details: { dir, ok: false, scope: 'structure', error: (err as Error).message, purpose: 'import' } });
    throw err;
  });
  // Blocking findings need an override that verifies over this manifest (the approval gate
  // further requires pinned signers where the station's policy requires approvals).
  const blocks = await refuseUnresolved(dir, 'imported');
  await deps.approvals?.(dir);
  if (blocks.valid.length > 0) {
    progress.phase(`importing with ${blocks.valid.length} overridden finding(s): ${blocks.valid.map((o) => `${o.file} (${o.rule}) accepted by ${o.by.name}`).join('; ')}`);
    deps.custody.append({
      type: 'overrides-accepted',
      role: ROLE,
      bundleId: manifest.bundleId,
      details: { dir, overrides: blocks.valid.map((o) => ({ file: o.file, rule: o.rule, detail: o.detail, reason: o.reason, by: o.by.name, reviewerFingerprint: o.by.fingerprint, at: o.at })) },
    });
  }
  const registry = req.registry
    ? { registry: req.registry, insecureRegistries: req.insecureRegistries, caFile: req.caFile, credentials: req.username ? { username: req.username, password: req.password ?? '' } : deps.credentials?.(parseRegistryTarget(req.registry).registry) }
    : undefined;
  const result = await deliverBundle(
    { dir, manifest, custody: deps.custody, progress, manifests },
    { registry, docker: req.docker ? () => dockerFromEnv(req.dockerHost) : undefined, modelsDir: req.modelsDir, ollamaModels: req.ollamaModels, pool: deps.pool },
  );
  if (req.ollamaUrl && result.ollama?.length) result.ollamaConfirmed = await confirmOllama(req.ollamaUrl, result.ollama, manifest.bundleId, deps.custody, progress);
  return result;
}

/** The tag an image is loaded into the engine under (the one rule lives in deliver/). */
export { dockerTag } from '../deliver/deliver-engine';
