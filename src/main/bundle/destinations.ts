import { randomBytes } from 'node:crypto';
import { lstat, mkdir, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { FerryError } from '../../shared/errors';
import { parseReference } from '../registry/reference';
import { OLLAMA_DIR, parseOllamaName } from '../sources/ollama-name';
import type { FilesArtifact, ImageArtifact, ModelArtifact, OllamaArtifact } from './manifest-schema';
import { targetRepository, type RegistryTarget } from './registry-target';
import { modelDirName } from './safe-path';

// Names are data; destinations are derived (docs/security.md, "Destinations").
// One function per kind turns validated manifest fields into where the artifact goes on the
// offline host; the review document renders the destination with the SAME function, so what
// the reviewer reads is what delivery does. Folder destinations are confined to their root
// after resolution: the root and every existing component below it are real folders, never
// symbolic links, and the realpath of the parent stays inside the realpath of the root.

/** One path component of a name: ASCII letters, digits, `.`, `_`, `-`; starts with a letter or digit; no `..`. */
export const NAME_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A hub repository `ORG/NAME`. */
export const ORG_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
/** An internal-registry repository name (a recipe's `target`). */
export const IMAGE_TARGET = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** A registry tag. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Why `value` is not an acceptable name (`org/name` when `orgName`), or null. Pure ASCII allow-list. */
export function nameProblem(value: string, orgName = false): string | null {
  if (value.length === 0) return 'is empty';
  if (/[^\x21-\x7e]/.test(value)) return 'has a control, space or non-ASCII character';
  if (value.startsWith('/') || /^[A-Za-z]:/.test(value) || value.startsWith('\\')) return 'is an absolute path';
  if (value.split(/[\\/]/).some((p) => p === '..' || p === '.')) return 'has a "." or ".." component';
  if (value.includes('..')) return 'contains ".."';
  if (orgName) return ORG_NAME.test(value) ? null : 'must be ORG/NAME (letters, digits, ".", "_", "-")';
  return NAME_PART.test(value) ? null : 'must be one name (letters, digits, ".", "_", "-"), without "/"';
}

function need(ok: string | null, artifact: string, field: string, value: string): void {
  if (ok) throw new FerryError(`Artifact ${JSON.stringify(artifact)}: field ${field} ${JSON.stringify(value)} ${ok}`, 'The bundle names a destination Ferry will not derive; re-create it on the connected side.', 'UnsafeDestination');
}

export type DestinationKind = 'model' | 'ollama' | 'files' | 'image' | 'container';

/** A folder (or file) under a root folder on the offline host. */
export interface FolderDestination {
  kind: 'model' | 'ollama' | 'files';
  /** The root folder, or a placeholder such as `<models dir>` when rendered before install. */
  root: string;
  /** Path components below the root, each checked with nameProblem or a fixed layout. */
  parts: string[];
  /** As the review document and the install show it. */
  display: string;
}

export interface ImageDestination {
  kind: 'image';
  /** Repository in the internal registry (prefix included when known). */
  repository: string;
  /** Tag, or the digest when the image has none. */
  reference: string;
  display: string;
}

export interface ContainerDestination {
  kind: 'container';
  name: string;
  display: string;
}

export type Destination = FolderDestination | ImageDestination | ContainerDestination;

export const MODELS_ROOT = '<models dir>';
export const OLLAMA_ROOT = `<models dir>/${OLLAMA_DIR}`;
export const FILES_ROOT = '<data dir>/installs/<install id>/files';
export const REGISTRY_ROOT = '<internal registry>';

const folder = (kind: FolderDestination['kind'], root: string, parts: string[]): FolderDestination => ({ kind, root, parts, display: [root.replace(/[\\/]+$/, ''), ...parts].join('/') });

/** `<modelsDir>/<org>/<name>`: where a hub model's weights go. */
export function modelDestination(a: Pick<ModelArtifact, 'repo'>, modelsDir: string = MODELS_ROOT): FolderDestination {
  need(nameProblem(a.repo, true), a.repo, 'repo', a.repo);
  return folder('model', modelsDir, a.repo.split('/'));
}

/** `<ollamaModels>/manifests/<host>/<namespace>/<model>/<tag>`: the manifest Ollama reads (blobs go to `blobs/`). */
export function ollamaDestination(a: Pick<OllamaArtifact, 'name' | 'registry' | 'repository' | 'tag'>, ollamaModelsDir: string = OLLAMA_ROOT): FolderDestination {
  const segs = a.repository.split('/');
  if (segs.length !== 2) need('must be NAMESPACE/MODEL', a.name, 'repository', a.repository);
  need(/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/.test(a.registry) && !a.registry.includes('..') ? null : 'must be HOST[:PORT]', a.name, 'registry', a.registry);
  for (const s of segs) need(nameProblem(s), a.name, 'repository', a.repository);
  need(IMAGE_TAG.test(a.tag) && !a.tag.includes('..') ? null : 'must be a tag (letters, digits, ".", "_", "-")', a.name, 'tag', a.tag);
  return folder('ollama', ollamaModelsDir, ['manifests', a.registry, ...segs, a.tag]);
}

/** `<filesRoot>/<name>`: where a `files` artifact is placed (filesRoot = `<dataDir>/installs/<id>/files`). */
export function filesDestination(a: Pick<FilesArtifact, 'name'>, filesRoot: string = FILES_ROOT): FolderDestination {
  need(nameProblem(a.name), a.name, 'name', a.name);
  return folder('files', filesRoot, [a.name]);
}

/** `<registry>/<prefix>/<target or last part of repository>:<tag>` (or `@digest`): where an image is pushed. */
export function imageDestination(a: Pick<ImageArtifact, 'name' | 'repository' | 'target' | 'tag' | 'digest'>, target?: RegistryTarget): ImageDestination {
  const repoName = a.target ?? a.repository.split('/').pop()!;
  need(IMAGE_TARGET.test(repoName) && repoName.length <= 128 ? null : 'must be a lowercase repository name', a.name, a.target !== undefined ? 'target' : 'repository', repoName);
  if (a.tag !== undefined) need(IMAGE_TAG.test(a.tag) ? null : 'must be a tag (letters, digits, ".", "_", "-")', a.name, 'tag', a.tag);
  const repository = target ? targetRepository(target, repoName) : repoName;
  const reference = a.tag ?? a.digest;
  const host = target ? target.registry : REGISTRY_ROOT;
  const shown = target ? repository : repoName;
  return { kind: 'image', repository, reference, display: `${host}/${target ? '' : '<prefix>/'}${shown}${a.tag !== undefined ? `:${a.tag}` : `@${a.digest}`}` };
}

/** `ferry-<name>`: the engine container a recipe container becomes. */
export function containerDestination(name: string): ContainerDestination {
  need(/^[a-z0-9][a-z0-9-]{0,62}$/.test(name) ? null : 'must be lowercase letters, digits and "-"', name, 'name', name);
  return { kind: 'container', name: `ferry-${name}`, display: `container ferry-${name}` };
}

/**
 * The host path of a folder destination, checked to stay inside its root after resolution:
 * the root (the admin's choice) must be absolute; no existing component below it may be a
 * symbolic link, and the realpath of each must lie inside the realpath of the root. Throws
 * FerryError naming the destination otherwise.
 */
export async function confinedPath(d: FolderDestination): Promise<string> {
  if (!isAbsolute(d.root)) throw new FerryError(`Destination ${d.display}: the root ${d.root} is not an absolute folder`, 'Give an absolute folder.');
  const root = resolve(d.root);
  const abs = resolve(root, ...d.parts);
  if (!abs.startsWith(root + sep)) throw new FerryError(`Destination ${d.display} would leave ${root}`, 'The bundle names a destination outside its root; it was refused.', 'UnsafeDestination');
  // The root is the admin's choice (it may be a link to a larger disk); below it, nothing from the bundle may be a link.
  const realRoot = await realpath(root).catch(() => root);
  let cur = root;
  for (const p of d.parts) {
    cur = join(cur, p);
    const st = await lstat(cur).catch(() => undefined);
    if (!st) break;
    if (st.isSymbolicLink()) throw new FerryError(`Destination ${d.display}: ${cur} is a symbolic link; Ferry does not write through links`, 'Remove the link (or choose another folder) and run again.', 'UnsafeDestination');
    const real = await realpath(cur);
    if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new FerryError(`Destination ${d.display}: ${cur} resolves to ${real}, outside ${realRoot}`, 'Choose a folder without links or mounts leading elsewhere.', 'UnsafeDestination');
  }
  return abs;
}

/** Every file path below a confined destination must itself stay inside it. */
export function fileInside(dir: string, rel: string, what: string): string {
  const abs = resolve(dir, ...rel.split('/'));
  if (!abs.startsWith(resolve(dir) + sep)) throw new FerryError(`${what}: file ${rel} would leave ${dir}`, 'The bundle is malformed; it was refused.', 'UnsafeDestination');
  return abs;
}

export interface IdentityProblem {
  /** The artifact, as the reviewer sees it. */
  artifact: string;
  field: string;
  detail: string;
}

/**
 * Where an artifact's reviewed identity (source, name) and the fields delivery uses (repo, dir,
 * registry/repository/tag, target) disagree, or a destination cannot be derived. Empty when sound.
 */
export function identityProblems(a: ImageArtifact | ModelArtifact | OllamaArtifact | FilesArtifact): IdentityProblem[] {
  const out: IdentityProblem[] = [];
  const add = (field: string, detail: string): void => void out.push({ artifact: `${a.kind} ${a.name}`, field, detail });
  const derive = (fn: () => unknown): void => {
    try {
      fn();
    } catch (err) {
      const m = /field (\S+) (.*)$/.exec((err as Error).message);
      add(m?.[1] ?? 'name', m?.[2] ?? (err as Error).message);
    }
  };
  if (a.kind === 'image') {
    derive(() => imageDestination(a));
    const name = `${a.registry}/${a.repository}${a.tag !== undefined ? `:${a.tag}` : ''}`;
    if (a.name !== name) add('name', `"${a.name}" is not ${name} (registry/repository:tag)`);
    // Registry sources name the repository delivery must use; archives, daemons and derived images are shown as they are.
    if (!/^(oci|oci-archive|docker-archive|docker-daemon):/.test(a.source) && !a.source.includes(' + npm:')) {
      let ref: ReturnType<typeof parseReference> | undefined;
      try {
        ref = parseReference(a.source);
      } catch {
        add('source', `"${a.source}" is not an image reference`);
      }
      if (ref && (ref.registry !== a.registry || ref.repository !== a.repository)) add('repository', `the source reads ${a.source} but delivery uses ${a.registry}/${a.repository}`);
      const explicitTag = a.source.lastIndexOf(':') > a.source.lastIndexOf('/');
      if (ref && explicitTag && ref.tag !== undefined && ref.tag !== a.tag) add('tag', `the source reads tag ${ref.tag} but delivery uses ${a.tag ?? 'none'}`);
    }
  } else if (a.kind === 'model') {
    derive(() => modelDestination(a));
    if (a.name !== a.repo) add('repo', `the reviewed name ${a.name} differs from the repo ${a.repo} delivery uses`);
    const rev = `@${a.requestedRevision}`;
    const src = a.source.endsWith(rev) ? a.source.slice(0, -rev.length) : a.source;
    if (!src.endsWith(`/${a.repo}`)) add('repo', `the source reads ${a.source} but delivery uses the repo ${a.repo}`);
    const dir = `models/${modelDirName(a.repo)}`;
    if (a.dir !== dir) add('dir', `"${a.dir}" is not ${dir} (the folder of ${a.repo})`);
  } else if (a.kind === 'ollama') {
    derive(() => ollamaDestination(a));
    const source = `${a.registry}/${a.repository}:${a.tag}`;
    if (a.source !== source) add('source', `"${a.source}" differs from ${source} that delivery uses`);
    try {
      const n = parseOllamaName(a.name);
      if (n.registry !== a.registry || n.repository !== a.repository || n.tag !== a.tag) add('name', `"${a.name}" names ${n.registry}/${n.repository}:${n.tag}, delivery uses ${source}`);
    } catch {
      add('name', `"${a.name}" is not an Ollama model name`);
    }
    if (a.dir !== OLLAMA_DIR) add('dir', `"${a.dir}" is not ${OLLAMA_DIR}`);
  } else {
    derive(() => filesDestination(a));
    if (a.dir !== `files/${a.name}`) add('dir', `"${a.dir}" is not files/${a.name}`);
  }
  return out;
}

// ---- Ownership: Ferry never removes or overwrites what it did not create ----

/** Written by Ferry into every folder it creates on the host; its absence means "not Ferry's". */
export const OWNED_MARKER = '.ferry-owned';

export type Ownership = 'absent' | 'ferry' | 'foreign';

/** Whether `dir` is absent, a real folder holding Ferry's marker file, or anything else. */
export async function ownership(dir: string): Promise<Ownership> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st) return 'absent';
  if (!st.isDirectory()) return 'foreign';
  const m = await lstat(join(dir, OWNED_MARKER)).catch(() => undefined);
  return m?.isFile() ? 'ferry' : 'foreign';
}

/** Marks `dir` as Ferry's (install id / bundle id recorded for the admin). */
export async function markOwned(dir: string, who: Record<string, string>): Promise<void> {
  await writeFile(join(dir, OWNED_MARKER), `${JSON.stringify({ ferry: true, ...who, at: new Date().toISOString() })}\n`, { mode: 0o644, flag: 'w' });
}

/** Refuses unless `dir` is absent or Ferry's, naming it. */
export async function requireOwnedOrAbsent(dir: string, what: string): Promise<Ownership> {
  const o = await ownership(dir);
  if (o === 'foreign') {
    throw new FerryError(
      `${what}: ${dir} already exists and was not created by Ferry (no ${OWNED_MARKER} file); nothing was changed`,
      `Move ${dir} aside (Ferry never removes what it did not create), or choose another folder.`,
      'NotFerrys',
    );
  }
  return o;
}

/**
 * Writes a folder anew and renames it into place: `fill` writes into a fresh sibling folder;
 * only when it succeeds does the current folder (Ferry's only) become `<dest>.ferry-previous`
 * (kept for undo; an older previous of Ferry's is dropped) and the new one take its place.
 * Refuses when `dest` exists and is not Ferry's; a failed fill removes only the folder it made.
 */
export async function replaceFolder(dest: string, who: Record<string, string>, what: string, fill: (dir: string) => Promise<void>): Promise<{ previous?: string }> {
  const state = await requireOwnedOrAbsent(dest, what);
  const fresh = `${dest}.ferry-new-${randomBytes(6).toString('hex')}`;
  await mkdir(dirname(fresh), { recursive: true });
  await mkdir(fresh);
  try {
    await fill(fresh);
    await markOwned(fresh, who);
  } catch (err) {
    await rm(fresh, { recursive: true, force: true });
    throw err;
  }
  let previous: string | undefined;
  if (state === 'ferry') {
    previous = `${dest}.ferry-previous`;
    if ((await requireOwnedOrAbsent(previous, what)) === 'ferry') await rm(previous, { recursive: true });
    await rename(dest, previous);
  }
  await rename(fresh, dest);
  return previous ? { previous } : {};
}

/** Each artifact's destination as review renders it, by the diff key (`kind:name`): what the diff compares. */
export function destinationsByKey(m: { artifacts: (ImageArtifact | ModelArtifact)[]; extraArtifacts?: (OllamaArtifact | FilesArtifact)[] }): Record<string, string> {
  const out: Record<string, string> = {};
  const show = (fn: () => { display: string }): string => {
    try {
      return fn().display;
    } catch (err) {
      return `REFUSED: ${(err as Error).message}`;
    }
  };
  for (const a of m.artifacts) {
    // An untagged image goes to its digest: that is a re-pin (shown as such), not a move.
    if (a.kind === 'image') out[`image:${a.name}`] = show(() => imageDestination(a)).replace(a.digest, '<digest>');
    else out[`model:${a.repo}`] = show(() => modelDestination(a));
  }
  for (const a of m.extraArtifacts ?? []) out[`${a.kind}:${a.name}`] = show(() => (a.kind === 'ollama' ? ollamaDestination(a) : filesDestination(a)));
  return out;
}
