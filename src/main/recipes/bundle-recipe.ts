import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../shared/errors';
import type { BundleFile } from '../bundle/manifest-schema';
import { writeVerified } from '../io/verified-write';
import { LOCK_FILE, parseLock, type Lock } from './lock-schema';
import { getRecipe, parseRecipe, type LoadedRecipe } from './recipe-catalog';
import { MediaFileError, parseMediaJson, readMediaFile } from '../io/media-file';
import type { Recipe } from './recipe-schema';

// A bundle created from a recipe carries the recipe file's exact bytes as recipe.yaml (listed
// and hashed in the manifest like every file); lock.json records their sha256. The offline side
// installs from these two, never from a recipe of its own that could differ.

export const RECIPE_FILE = 'recipe.yaml';

const notFromRecipe = (dir: string, why: string): FerryError =>
  new FerryError(`The bundle ${dir} was not created from a recipe (${why})`, 'Use `ferry import` to push its images and place its models; guided install needs a bundle made with --recipe.');

/** Through the one media reader: undefined when absent, refused when not a regular file or over `kind`'s bound. */
async function readSmallFile(dir: string, rel: string, kind: 'lock' | 'recipe'): Promise<Buffer | undefined> {
  try {
    return await readMediaFile(dir, rel, kind);
  } catch (err) {
    if (err instanceof MediaFileError && err.code === 'ENOENT') return undefined;
    if (err instanceof MediaFileError) throw new FerryError(err.message, 'The bundle is damaged; verify it.');
    throw err;
  }
}

/**
 * Reads the recipe and lock a (verified) bundle folder carries: recipe.yaml must hash to the
 * sha256 lock.json records, and parses as a recipe (errors name the field).
 */
export async function readBundleRecipe(dir: string): Promise<{ recipe: Recipe; lock: Lock; sha256: string }> {
  const lockPath = join(dir, LOCK_FILE);
  const recipePath = join(dir, RECIPE_FILE);
  const lockBytes = await readSmallFile(dir, LOCK_FILE, 'lock');
  if (!lockBytes) throw notFromRecipe(dir, `no ${LOCK_FILE}`);
  let raw: unknown;
  try {
    raw = parseMediaJson(lockBytes, LOCK_FILE);
  } catch (err) {
    throw new FerryError((err as Error).message, 'The bundle is damaged; verify it.');
  }
  const lock = parseLock(raw, lockPath);
  const bytes = await readSmallFile(dir, RECIPE_FILE, 'recipe');
  if (!bytes) throw notFromRecipe(dir, `no ${RECIPE_FILE}${lock.recipe.origin === 'adhoc' ? '; its lock names images and models given on the command line' : ''}`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (lock.recipe.sha256 === undefined || sha256 !== lock.recipe.sha256) {
    throw new FerryError(
      `${recipePath} (sha256 ${sha256}) does not match the recipe sha256 in ${lockPath} (${lock.recipe.sha256 ?? 'none recorded'})`,
      'The recipe in the bundle was changed after the bundle was created; verify the bundle and do not install from it.',
    );
  }
  const loaded = await parseRecipe(bytes, recipePath, lock.recipe.origin === 'builtin' ? 'builtin' : 'user');
  if (loaded.recipe.id !== lock.recipe.id) {
    throw new FerryError(`${recipePath} is recipe "${loaded.recipe.id}", but ${lockPath} was resolved from "${lock.recipe.id}"`, 'The bundle is damaged; verify it.');
  }
  return { recipe: loaded.recipe, lock, sha256 };
}

/**
 * Writes the recipe a lock was resolved from, byte for byte, as `<dir>/recipe.yaml` (checked
 * against lock.recipe.sha256). With a lock file and no recipe given, the station's recipe of that
 * id is taken if its bytes still match. Returns the file's manifest entry, or undefined when the
 * lock names no recipe (ad-hoc images and models) or the matching recipe is not on this station.
 */
export async function writeBundleRecipe(dir: string, lock: Lock, loaded: LoadedRecipe | undefined, dataDir: string): Promise<BundleFile | undefined> {
  const want = lock.recipe.sha256;
  if (lock.recipe.origin === 'adhoc' || want === undefined) return undefined;
  const source = loaded ?? (await getRecipe(lock.recipe.id, dataDir).catch(() => undefined));
  if (!source || source.sha256 !== want) {
    if (loaded) throw new FerryError(`Recipe file ${loaded.file} changed since it was resolved (sha256 ${loaded.sha256}, the lock has ${want})`, 'Resolve the recipe again.');
    return undefined;
  }
  const bytes = await readFile(source.file);
  const got = await writeVerified((async function* () { yield bytes; })(), join(dir, RECIPE_FILE), { sha256: want, size: bytes.length });
  return { path: RECIPE_FILE, size: got.size, sha256: got.sha256 };
}
