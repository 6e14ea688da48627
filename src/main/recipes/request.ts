import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LockEntry, RecipeInfo } from '../../shared/api';
import { FerryError, UsageError } from '../../shared/errors';
import { parseModelRef } from '../hub/model-ref';
import { parseImageSource } from '../sources/image-source';
import { expandRecipe, type Plan } from './expand';
import { parseLock, type Lock } from './lock-schema';
import { bindParams } from './params';
import { getRecipe, type LoadedRecipe } from './recipe-catalog';
import type { ParamValues } from './recipe-schema';
import { resolvePlan, type ArtifactSources, type LockMeta } from './resolve';
import { DEFAULT_UNMATCHED, type StationSignaturePolicy } from '../signatures/policy';
import { recipeSignatureRules } from '../signatures/recipe-rules';
import { checkLockAgainstStation } from '../signatures/check';

/** What to resolve: a recipe and its parameters, plus artifacts named directly (`--image`, `--model`, …). */
export interface LockRequest {
  recipe?: string;
  params?: Record<string, string>;
  images?: string[];
  models?: string[];
  ollama?: string[];
  files?: string[];
  lockFile?: string;
}

export interface LockContext extends ArtifactSources {
  dataDir: string;
  /** The station's signature policy (settings); the recipe's `signatures:` rules are added to it. */
  signatures?: StationSignaturePolicy;
  signal?: AbortSignal;
}

export function hasArtifacts(r: LockRequest): boolean {
  return Boolean(r.recipe || r.lockFile || r.images?.length || r.models?.length || r.ollama?.length || r.files?.length);
}

/** The recipe (if any) and the plan for a request; cheap, touches no network. */
export async function planRequest(r: LockRequest, dataDir: string): Promise<{ loaded?: LoadedRecipe; values: ParamValues; plan: Plan; meta: LockMeta }> {
  let plan: Plan = { images: [], models: [], ollama: [], files: [], derived: [] };
  let values: ParamValues = {};
  let loaded: LoadedRecipe | undefined;
  let meta: LockMeta = { id: 'adhoc', version: '1', title: 'Images and models named on the command line', origin: 'adhoc' };
  if (r.recipe) {
    loaded = await getRecipe(r.recipe, dataDir);
    values = bindParams(loaded.recipe, r.params ?? {});
    plan = expandRecipe(loaded.recipe, values);
    meta = { id: loaded.recipe.id, version: loaded.recipe.version, title: loaded.recipe.title, origin: loaded.origin, sha256: loaded.sha256 };
  } else if (r.params && Object.keys(r.params).length > 0) throw new UsageError('--set needs --recipe');
  (r.images ?? []).forEach((source, i) => plan.images.push({ id: `cli-image-${i + 1}`, source, from: parseImageSource(source) }));
  (r.models ?? []).forEach((source, i) => {
    const ref = parseModelRef(source);
    plan.models.push({ id: `cli-model-${i + 1}`, repo: ref.repo, revision: ref.revision });
  });
  (r.ollama ?? []).forEach((model, i) => plan.ollama.push({ id: `cli-ollama-${i + 1}`, model }));
  (r.files ?? []).forEach((p, i) => plan.files.push({ id: `cli-files-${i + 1}`, path: resolve(p), optional: false }));
  return { ...(loaded ? { loaded } : {}), values, plan, meta };
}

/** Resolves a request to a lock (or reads the lock file it names). */
export async function lockForRequest(r: LockRequest, c: LockContext): Promise<Lock> {
  if (r.lockFile) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(r.lockFile, 'utf8'));
    } catch (err) {
      throw new UsageError(`Cannot read lock file ${r.lockFile}: ${(err as Error).message}`);
    }
    const lock = parseLock(raw, r.lockFile);
    await checkLockAgainstStation(lock.images, c.signatures?.rules ?? [], c.signatures?.unmatched ?? DEFAULT_UNMATCHED);
    return lock;
  }
  const { plan, meta, values, loaded } = await planRequest(r, c.dataDir);
  const signatures = { station: c.signatures?.rules ?? [], recipe: loaded ? await recipeSignatureRules(loaded) : [], unmatched: c.signatures?.unmatched ?? DEFAULT_UNMATCHED };
  return resolvePlan(plan, meta, values, {
    signatures,
    platform: c.platform,
    hubUrl: c.hubUrl,
    hubToken: c.hubToken,
    hfCache: c.hfCache,
    ollamaDir: c.ollamaDir,
    registries: c.registries,
    docker: c.docker,
    spoolDir: join(c.dataDir, 'cache', 'docker-save'),
    signal: c.signal,
  });
}

export function recipeInfo(l: LoadedRecipe, full = false): RecipeInfo {
  const r = l.recipe;
  const ids = (list?: { id: string }[]) => (list ?? []).map((a) => a.id);
  return {
    id: r.id,
    title: r.title,
    ...(r.description ? { description: r.description } : {}),
    version: r.version,
    origin: l.origin,
    file: l.file,
    parameters: (r.parameters ?? []).map((p) => ({ name: p.name, type: p.type, ...(p.default !== undefined ? { default: p.default } : {}), ...(p.choices ? { choices: p.choices } : {}), ...(p.pattern !== undefined ? { pattern: p.pattern } : {}), ...(p.description ? { description: p.description } : {}), ...(p.stage ? { stage: p.stage } : {}) })),
    artifacts: { images: ids(r.artifacts.images), models: ids(r.artifacts.models), ollama: ids(r.artifacts.ollama), files: ids(r.artifacts.files) },
    ...(full ? { recipe: r } : {}),
  };
}

/** The lock as rows for a preview: what will be fetched, pinned to what, how big. */
export function lockEntries(lock: Lock): LockEntry[] {
  return [
    ...lock.images.map((i): LockEntry => ({ kind: 'image', id: i.id, source: i.source, pinned: i.digest, size: i.size, platform: i.platform, ...(i.tag ? { tag: i.tag } : {}) })),
    ...lock.models.map((m): LockEntry => ({ kind: 'model', id: m.id, source: `${m.repo}@${m.requestedRevision}`, pinned: m.revision, size: m.size, files: m.files.length })),
    ...lock.ollama.map((o): LockEntry => ({ kind: 'ollama', id: o.id, source: o.model, pinned: o.digest, size: o.size })),
    ...lock.files.map((f): LockEntry => ({ kind: 'files', id: f.id, source: f.source, pinned: `${f.files.length} file(s)`, size: f.size, files: f.files.length })),
    ...lock.derived.map((d): LockEntry => ({ kind: 'image', id: d.id, source: `${d.baseSource} + npm:${d.npm.package}@${d.npm.version}`, pinned: d.npm.integrity, size: d.npm.size, ...(d.tag ? { tag: d.tag } : {}) })),
  ];
}

export function assertLockable(lock: Lock): void {
  if (lock.images.length + lock.models.length + lock.ollama.length + lock.files.length === 0) throw new FerryError('The lock names no artifact', 'Check the recipe parameters: every artifact may be switched off.');
}
