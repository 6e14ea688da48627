import type Dockerode from 'dockerode';
import { FerryError } from '../../shared/errors';
import type { RegistryPool } from '../acquire/registry-pool';
import { isoWithOffset } from '../core/clock';
import { mapLimit } from '../core/concurrency';
import { resolveModel } from '../hub/hub-client';
import { resolveDockerArchiveImage, resolveOciImage } from '../sources/archive-image';
import { scanArchive, scanFolder, type ArchiveScan } from '../sources/archive-scan';
import { spoolDockerImage } from '../sources/docker-daemon';
import { resolveFromHfCache } from '../sources/hf-cache';
import { resolveLocalFiles } from '../sources/local-files';
import { resolveFromOllamaDir } from '../sources/ollama-dir';
import { ollamaDisplayName, parseOllamaName } from '../sources/ollama-name';
import { resolveNpmPackage } from '../derive/npm-package';
import type { Plan, PlannedDerived, PlannedImage, PlannedModel, PlannedOllama } from './expand';
import { selectedByGlobs } from './glob';
import { LOCK_FORMAT, LockSchema, lockTotal, type Lock, type LockDerived, type LockImage, type LockModel, type LockOllama } from './lock-schema';
import { newestMatching } from './version-sort';
import { resolveSignatures } from '../signatures/check';
import { hasPolicy, type SignaturePolicy } from '../signatures/policy';

/** Where artifacts are looked up: the hub, local caches, registries, the local engine. */
export interface ArtifactSources {
  platform: string;
  hubUrl: string;
  hubToken?: string;
  /** A Hugging Face cache folder: models found there are taken from it, without the hub. */
  hfCache?: string;
  /** An Ollama models folder: models found there are taken from it, without the registry. */
  ollamaDir?: string;
  registries: RegistryPool;
  /** The local Docker engine, for docker-daemon: sources. */
  docker?: () => Dockerode;
}

export interface ResolveOptions extends ArtifactSources {
  /** Where docker-daemon: images are saved to (one tar per image id). */
  spoolDir: string;
  /** Signature policy (station + recipe rules); absent or empty: signatures are not looked up. */
  signatures?: SignaturePolicy;
  signal?: AbortSignal;
}

export type LockMeta = Lock['recipe'];

const b64 = (b: Buffer): string => b.toString('base64');
const INLINE_CONFIG = 1 << 20;
/** The config descriptor for a lock, carrying the config itself when resolution read it. */
const configDesc = (r: { config: { mediaType: string; digest: string; size: number }; configBytes?: Buffer }) => ({
  mediaType: r.config.mediaType,
  digest: r.config.digest,
  size: r.config.size,
  ...(r.configBytes && r.configBytes.length <= INLINE_CONFIG ? { data: b64(r.configBytes) } : {}),
});

/** The image with its signature verdict; a policy failure is collected (all are reported together). */
async function resolveSignedImage(p: PlannedImage, o: ResolveOptions, scans: Map<string, Promise<ArchiveScan>>, refused: string[]): Promise<LockImage> {
  const img = await resolveImage(p, o, scans);
  if (!hasPolicy(o.signatures)) return img;
  const from = img.from === 'registry' ? o.registries.clientFor(img.registry, img.repository) : undefined;
  try {
    const signatures = await resolveSignatures(img, o.signatures, from, o.signal);
    return signatures ? { ...img, signatures } : img;
  } catch (err) {
    if (!(err instanceof FerryError) || err.name === 'CanceledError' || err.name === 'RegistryError') throw err;
    refused.push(err.message);
    return img;
  }
}

async function resolveImage(p: PlannedImage, o: ResolveOptions, scans: Map<string, Promise<ArchiveScan>>): Promise<LockImage> {
  if (p.from.transport !== 'registry') {
    let path = p.from.transport === 'docker-daemon' ? '' : p.from.path;
    const name = p.from.name;
    if (p.from.transport === 'docker-daemon') {
      if (!o.docker) throw new FerryError(`${p.source}: no Docker engine configured`);
      path = await spoolDockerImage(o.docker(), p.from.name, o.spoolDir, o.signal);
    }
    let scan = scans.get(path);
    if (!scan) scans.set(path, (scan = p.from.transport === 'oci' ? scanFolder(path) : scanArchive(path, o.signal)));
    const req = { id: p.id, source: p.source, transport: p.from.transport, path, ...(name ? { name } : {}), ...(p.target ? { target: p.target } : {}), platform: o.platform };
    const s = await scan;
    return p.from.transport === 'oci' || (p.from.transport === 'oci-archive' && s.small.has('index.json')) ? resolveOciImage(req, s) : resolveDockerArchiveImage(req, s);
  }
  const ref = p.from.ref;
  const { client, repository } = o.registries.clientFor(ref.registry, ref.repository);
  let tag = ref.tag;
  if (p.newest !== undefined) {
    const tags = await client.listTags(repository, { signal: o.signal });
    tag = newestMatching(tags, new RegExp(p.newest));
    if (tag === undefined) throw new FerryError(`${p.source}: none of its ${tags.length} tags matches ${p.newest}`, 'Check the tag rule in the recipe, or the mirror.');
  }
  const r = await client.resolveImage({ ...ref, repository, ...(tag !== undefined ? { tag } : {}) }, o.platform, { signal: o.signal });
  return {
    id: p.id,
    source: p.newest !== undefined ? `${p.source}:${tag}` : p.source,
    from: 'registry',
    registry: ref.registry,
    repository: ref.repository,
    ...(tag !== undefined ? { tag } : {}),
    target: p.target ?? ref.repository.split('/').pop()!,
    digest: r.manifest.digest,
    ...(r.index ? { indexDigest: r.index.digest } : {}),
    mediaType: r.manifest.mediaType,
    platform: r.platform,
    manifest: b64(r.manifest.bytes),
    config: configDesc(r),
    layers: r.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    size: r.manifest.bytes.length + r.config.size + r.layers.reduce((s, l) => s + l.size, 0),
  };
}

async function resolveHubModel(p: PlannedModel, o: ResolveOptions): Promise<LockModel> {
  if (o.hfCache) {
    const cached = await resolveFromHfCache(o.hfCache, p.id, p.repo, p.revision, p.include, p.exclude);
    if (cached) return cached;
  }
  const r = await resolveModel({ repo: p.repo, revision: p.revision }, { hubUrl: o.hubUrl, accessToken: o.hubToken, signal: o.signal });
  const files = r.files
    .filter((f) => selectedByGlobs(f.path, p.include, p.exclude))
    .map((f) => ({ path: f.path, size: f.size, ...(f.lfs && f.sha256 ? { sha256: f.sha256 } : { gitOid: f.gitOid }) }));
  if (files.length === 0) throw new FerryError(`${p.repo}@${r.revision}: no file passes the include/exclude globs`, 'Check the globs in the recipe.');
  return {
    id: p.id,
    from: 'hub',
    hubUrl: o.hubUrl,
    repo: r.repo,
    requestedRevision: r.requestedRevision,
    revision: r.revision,
    ...(p.include ? { include: p.include } : {}),
    ...(p.exclude ? { exclude: p.exclude } : {}),
    files,
    size: files.reduce((s, f) => s + f.size, 0),
  };
}

async function resolveOllama(p: PlannedOllama, o: ResolveOptions): Promise<LockOllama> {
  const name = parseOllamaName(p.model);
  if (o.ollamaDir) {
    const local = await resolveFromOllamaDir(o.ollamaDir, p.id, name);
    if (local) return local;
  }
  const { client, repository } = o.registries.clientFor(name.registry, name.repository);
  const r = await client.resolveImage({ registry: name.registry, repository, tag: name.tag }, undefined, { signal: o.signal });
  return {
    id: p.id,
    model: ollamaDisplayName(name),
    from: 'registry',
    ...name,
    digest: r.manifest.digest,
    mediaType: r.manifest.mediaType,
    manifest: b64(r.manifest.bytes),
    config: configDesc(r),
    layers: r.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    size: r.manifest.bytes.length + r.config.size + r.layers.reduce((s, l) => s + l.size, 0),
  };
}

/** Pins each derived image's npm package (bases first); the base's tag becomes the derived image's. */
async function resolveDerived(plan: PlannedDerived[], images: LockImage[], signal?: AbortSignal): Promise<LockDerived[]> {
  const bases = new Map<string, { source: string; tag?: string }>(images.map((i) => [i.id, { source: i.source, ...(i.tag !== undefined ? { tag: i.tag } : {}) }]));
  const out: LockDerived[] = [];
  for (const d of plan) {
    const base = bases.get(d.from);
    if (!base) throw new FerryError(`Derived image ${d.id}: its base "${d.from}" was not resolved`, 'Check artifacts.images in the recipe.');
    const npm = await resolveNpmPackage({ package: d.package, version: d.version, registry: d.registry }, { signal });
    bases.set(d.id, { source: `${base.source} + npm:${npm.package}@${npm.version}`, ...(base.tag !== undefined ? { tag: base.tag } : {}) });
    out.push({ id: d.id, from: d.from, baseSource: base.source, target: d.target, ...(base.tag !== undefined ? { tag: base.tag } : {}), npm });
  }
  return out;
}

/**
 * Pins every artifact of a plan: images to a manifest digest for the platform (tag rules
 * applied against the registry's tag list), hub models to a commit with every file's size and
 * checksum, Ollama models to a manifest digest, local files to their sha256, derived images'
 * npm packages to a tarball and its integrity. Nothing big is fetched.
 */
export async function resolvePlan(plan: Plan, recipe: LockMeta, params: Lock['params'], o: ResolveOptions): Promise<Lock> {
  const scans = new Map<string, Promise<ArchiveScan>>();
  const refused: string[] = [];
  const images = await mapLimit(plan.images, 8, (p) => resolveSignedImage(p, o, scans, refused));
  if (refused.length > 0) throw new FerryError(`The signature policy refuses ${refused.length} image(s): ${refused.join(' | ')}`, 'Nothing was acquired. Check that each image is signed as its rule requires, or change the signature policy (docs/supply-chain.md).');
  const models = await mapLimit(plan.models, 4, (p) => resolveHubModel(p, o));
  const ollama = await mapLimit(plan.ollama, 4, (p) => resolveOllama(p, o));
  const files = (await mapLimit(plan.files, 4, (p) => resolveLocalFiles(p, o.signal))).filter((f) => f !== undefined);
  const derived = await resolveDerived(plan.derived ?? [], images, o.signal);
  const body = { format: LOCK_FORMAT, recipe, params, platform: o.platform, resolvedAt: isoWithOffset(), images, models, ollama, files, derived } as const;
  const lock = { ...body, totalBytes: lockTotal(body) };
  const checked = LockSchema.safeParse(lock);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new FerryError(`The lock for ${recipe.id} is invalid at ${issue.path.join('.')}: ${issue.message}`, 'An artifact name or path cannot be carried; check the recipe.');
  }
  return checked.data;
}
