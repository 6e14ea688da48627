import type Dockerode from 'dockerode';
import { createHash, randomUUID } from 'node:crypto';
import { lstat, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CreateBundleRequest } from '../../shared/api';
import { UsageError } from '../../shared/errors';
import { acquireLock } from '../acquire/acquire';
import { parseMirrors } from '../acquire/mirrors';
import { RegistryPool } from '../acquire/registry-pool';
import type { AcquireStats } from '../acquire/tasks';
import { isoWithOffset } from '../core/clock';
import { acquireDerived } from '../derive/acquire-derived';
import type { CustodyStore, Identity } from '../custody/custody-store';
import type { Db } from '../db/database';
import { DEFAULT_HUB_URL, DEFAULT_PLATFORM, hubUrlOf, platformOf } from '../settings/defaults';
import { writeVerified } from '../io/verified-write';
import type { Credentials } from '../registry/auth';
import { writeBundleRecipe } from '../recipes/bundle-recipe';
import { acquireOmissions, deltaRecord, planDelta } from '../delta/delta-plan';
import { readTrustedInventory } from '../delta/inventory-sign';
import { TrustStore } from '../identity/trust-store';
import { checkNotesSources, writeBundleNotes } from '../upgrade/bundle-notes';
import { LOCK_FILE, type Lock } from '../recipes/lock-schema';
import { LockStore } from '../recipes/lock-store';
import { assertLockable, hasArtifacts, lockForRequest, planRequest } from '../recipes/request';
import { lockOutput } from '../jobs/output-lock';
import { checkSpace, diskFullError } from '../acquire/acquire-space';
import { canonicalJson } from './canonical-json';
import { createdByOf, signCreation, type Creator } from './creation';
import { sortFiles } from './bundle-files';
import { writeManifest } from './manifest-io';
import { BUNDLE_FORMAT, MANIFEST_FILE, type BundleManifest, type ModelArtifact } from './manifest-schema';
import { scanModels } from './scan-models';
import { stationSignaturePolicy } from '../settings/signature-policy';
import type { BomSource } from '../bom/bom-model';
import { writeBundleBom } from '../bom/bom-write';
import { warmBomValidator } from '../bom/cyclonedx';
import type { Progress } from '../jobs/progress';
import { walk } from './walk';

export { DEFAULT_HUB_URL, DEFAULT_PLATFORM };

export interface CreateDeps {
  custody: CustodyStore;
  identity: Identity;
  /** The identity that creates the bundle: named in createdBy, which it signs (bundle/creation.ts). */
  creator?: Creator;
  version: string;
  hubToken?: string;
  /** The station database: locks and acquisition state live there, so a run can be resumed. */
  db: Db;
  dataDir: string;
  /** The local Docker engine, for docker-daemon: image sources. */
  docker?: () => Dockerode;
  /** Registry logins stored on the station, tried before the Docker config file. */
  credentials?: (host: string) => Credentials | undefined;
}

export interface CreateResult extends AcquireStats {
  bundleId: string;
  dir: string;
  manifestSha256: string;
  files: number;
  bytes: number;
  lockId: string;
  /** True when this run continued an earlier, interrupted one with the same arguments. */
  resumed: boolean;
  /** A delta bundle (--inventory): bytes carried vs the full bundle, and what was left out. */
  delta?: { fullBytes: number; omittedBlobs: number; omittedModelFiles: number; station: string };
}

const ROLE = 'operator';
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * Resolves the request to a lock (or reuses the lock an interrupted run with the same arguments
 * stored), acquires it into `<out>.partial`, writes lock.json and the manifest, and renames the
 * folder to `<out>` only when complete. Verified blobs and files in the partial folder are kept;
 * partial downloads are continued.
 */
export async function createBundle(req: CreateBundleRequest, deps: CreateDeps, progress: Progress): Promise<CreateResult> {
  const lockReq = { ...req, images: req.images ?? [], models: req.models ?? [] };
  if (!hasArtifacts(lockReq)) throw new UsageError('Nothing to bundle: give a recipe, a lock, or at least one image or model.');
  const out = resolve(req.outDir);
  await refuseExisting(out);
  // A delta: the offline inventory must be signed by a key pinned here, checked before anything is fetched.
  const inventory = req.inventory ? await readTrustedInventory(req.inventory, new TrustStore(deps.db).lookup()) : undefined;
  await checkNotesSources({ releaseNotes: req.releaseNotes, migrationGuide: req.migrationGuide });
  const partial = `${out}.partial`;
  const platform = platformOf(req.platform);
  const hubUrl = hubUrlOf(req.hubUrl, {}); // the handler applied $FERRY_HUB_URL (settings/defaults.ts)
  const registries = new RegistryPool({ mirrors: parseMirrors(req.mirrors), insecure: req.insecureRegistries ?? [], credentials: deps.credentials });
  const store = new LockStore(deps.db);
  let unlock = (): void => undefined;
  let total = 0;
  try {
    unlock = lockOutput(out, 'creating');
    progress.phase('resolving');
    const { loaded } = await planRequest({ ...lockReq, lockFile: undefined }, deps.dataDir);
    const argsKey = sha256(canonicalJson({ ...lockReq, mirrors: undefined, concurrency: undefined, outDir: out, platform, hubUrl, recipeSha256: loaded?.sha256 }));
    const prev = store.findAcquisition(out);
    const havePartial = (await lstat(partial).catch(() => undefined))?.isDirectory() ?? false;
    const stored = prev && prev.state === 'running' && prev.argsKey === argsKey && havePartial ? store.getLock(prev.lockId) : undefined;
    const lock: Lock = stored ?? (await lockForRequest(lockReq, { dataDir: deps.dataDir, platform, hubUrl, hubToken: deps.hubToken, hfCache: req.hfCache, ollamaDir: req.ollamaDir, registries, docker: deps.docker, signatures: stationSignaturePolicy(deps.db), signal: progress.signal }));
    assertLockable(lock);
    const delta = inventory ? planDelta(lock, inventory.signed.inventory, inventory.sha256) : undefined;
    const bundleId = stored ? prev!.bundleId : randomUUID();
    const lockId = store.saveLock(lock);
    store.startAcquisition({ outDir: out, argsKey, lockId, bundleId });
    deps.custody.append({
      type: stored ? 'resumed' : 'resolved',
      role: ROLE,
      bundleId,
      details: {
        platform: lock.platform,
        recipe: lock.recipe.id,
        lockId,
        images: lock.images.map((i) => ({ source: i.source, digest: i.digest, ...(i.signatures ? { signatures: { verdict: i.signatures.verdict, policy: i.signatures.policy, ...(i.signatures.signer ? { signer: i.signatures.signer } : {}), carried: i.signatures.artifacts.length } } : {}) })),
        models: lock.models.map((m) => ({ repo: m.repo, requested: m.requestedRevision, revision: m.revision })),
        ...(lock.ollama.length ? { ollama: lock.ollama.map((o) => ({ model: o.model, digest: o.digest })) } : {}),
        ...(lock.files.length ? { files: lock.files.map((f) => ({ id: f.id, source: f.source, files: f.files.length, size: f.size })) } : {}),
        ...(lock.derived.length ? { derived: lock.derived.map((d) => ({ id: d.id, from: d.baseSource, package: d.npm.package, version: d.npm.version, integrity: d.npm.integrity })) } : {}),
      },
    });

    progress.phase('acquiring');
    total = lock.totalBytes;
    if (!delta) await checkSpace(partial, total);
    warmBomValidator(); // while the bytes download (see cyclonedx.ts)
    const got = await acquireLock(lock, { dir: partial, progress, registries, verified: store.verifiedFiles(out), hubToken: deps.hubToken, hfCache: req.hfCache, concurrency: req.concurrency, ...(delta ? { omit: acquireOmissions(delta) } : {}) });
    for (const a of got.artifacts) {
      const details = a.kind === 'image' ? { artifact: 'image', source: a.source, digest: a.digest, size: a.size } : { artifact: 'model', repo: a.repo, revision: a.revision, files: a.files.length, size: a.size };
      deps.custody.append({ type: 'acquired', role: ROLE, bundleId, details });
    }
    for (const a of got.extraArtifacts) deps.custody.append({ type: 'acquired', role: ROLE, bundleId, details: { artifact: a.kind, name: a.name, source: a.source, files: a.files.length, size: a.size } });
    // Derived images (base + npm package layer), built once their bases are in the layout.
    const derived = await acquireDerived(lock, partial, progress);
    for (const e of derived.events) deps.custody.append({ type: 'acquired', role: ROLE, bundleId, details: { artifact: 'image', source: e.source, digest: e.digest, size: e.size, derivedFrom: e.base, npm: { package: e.npm.package, version: e.npm.version, tarball: e.npm.tarball, integrity: e.npm.integrity } } });

    const scan = await scanModels(partial, got.artifacts.filter((a): a is ModelArtifact => a.kind === 'model'), progress, deps.custody, bundleId);

    progress.phase('writing manifest');
    const who = deps.custody.acting;
    const lockBytes = Buffer.from(`${JSON.stringify(lock, null, 2)}\n`);
    const lockFile = await writeVerified((async function* () { yield lockBytes; })(), `${partial}/${LOCK_FILE}`, { size: lockBytes.length });
    // The recipe travels with its lock (recipe.yaml, the exact bytes lock.recipe.sha256 names).
    const recipeFile = await writeBundleRecipe(partial, lock, loaded, deps.dataDir);
    // Release notes and migration guide (notes/…), for the offline side's upgrade.
    const notes = await writeBundleNotes(partial, { releaseNotes: req.releaseNotes, migrationGuide: req.migrationGuide });
    const carried = sortFiles([...got.files, ...derived.files, ...(recipeFile ? [recipeFile] : []), ...notes, { path: LOCK_FILE, size: lockFile.size, sha256: lockFile.sha256 }]);
    await pruneStale(partial, new Set(carried.map((f) => f.path)));
    const described: BomSource = {
      bundleId,
      createdAt: isoWithOffset(),
      createdBy: createdByOf(deps.creator, who.station),
      tool: { name: 'ferry', version: deps.version },
      artifacts: [...got.artifacts, ...derived.artifacts],
      ...(got.extraArtifacts.length ? { extraArtifacts: got.extraArtifacts } : {}),
      lock: { path: LOCK_FILE, sha256: lockFile.sha256, recipe: lock.recipe.id, version: lock.recipe.version },
      scan,
      ...(delta && inventory ? { delta: deltaRecord(delta, inventory.signed.inventory, carried.reduce((s, f) => s + f.size, 0)) } : {}),
    };
    // The bill of materials is written before the manifest, which lists it (files + bom) so verify covers it.
    const bom = await writeBundleBom(partial, described);
    const files = sortFiles([...carried, bom.file]);
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      ...described,
      files,
      bom: bom.record,
      ...(delta && inventory ? { delta: deltaRecord(delta, inventory.signed.inventory, files.reduce((s, f) => s + f.size, 0)) } : {}),
    };
    const manifestSha256 = await writeManifest(partial, deps.creator ? signCreation(manifest, deps.creator) : manifest);
    await rename(partial, out);
    store.finishAcquisition(out);
    const bytes = files.reduce((s, f) => s + f.size, 0);
    const d = manifest.delta && { fullBytes: manifest.delta.fullBytes, omittedBlobs: manifest.delta.omitted.length, omittedModelFiles: manifest.delta.omittedModelFiles.length, station: manifest.delta.station };
    deps.custody.append({ type: 'created', role: ROLE, bundleId, details: { dir: out, manifestSha256, artifacts: manifest.artifacts.length + got.extraArtifacts.length, files: files.length, bytes, ...got.stats, ...(d ? { delta: { ...d, inventorySha256: manifest.delta!.inventorySha256 } } : {}) } });
    return { bundleId, dir: out, manifestSha256, files: files.length, bytes, lockId, resumed: stored !== undefined, ...got.stats, ...(d ? { delta: d } : {}) };
  } catch (err) {
    throw await diskFullError(err, partial, total);
  } finally {
    unlock();
    await registries.close();
  }
}

/** Removes what an earlier run with other arguments left in the partial folder (and stray `.tmp`s). */
async function pruneStale(partial: string, keep: Set<string>): Promise<void> {
  for (const e of await walk(partial)) if (!keep.has(e.path) && e.path !== MANIFEST_FILE) await rm(join(partial, e.path), { force: true });
}

async function refuseExisting(out: string): Promise<void> {
  const s = await stat(out).catch(() => null);
  if (!s) return;
  if (!s.isDirectory() || (await readdir(out)).length > 0) {
    throw new UsageError(`Output ${out} already exists and is not empty.`, 'Choose a new output directory, or remove the old bundle first.');
  }
  await rmdir(out); // empty, checked above
}
