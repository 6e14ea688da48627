import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../shared/errors';
import type { BundleFile } from '../bundle/manifest-schema';
import { writeVerified } from '../io/verified-write';
import { LOCK_FILE, parseLock, type Lock } from './lock-schema';
import { getRecipe, loadRecipeFile, type LoadedRecipe } from './recipe-catalog';
import type { Recipe } from './recipe-schema';

// A bundle created from a recipe carries the recipe file's exact bytes as recipe.yaml (listed
// and hashed in the manifest like every file); lock.json records their sha256. The offline side
// installs from these two, never from a recipe of its own that could differ.

export const RECIPE_FILE = 'recipe.yaml';
const MAX_LOCK_BYTES = 64 << 20;

const notFromRecipe = (dir: string, why: string): FerryError =>
  new FerryError(`The bundle ${dir} was not created from a recipe (${why})`, 'Use `ferry import` to push its images and place its models; guided install needs a bundle made with --recipe.');

async function readSmallFile(path: string, max: number): Promise<Buffer | undefined> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return undefined;
  if (!st.isFile()) throw new FerryError(`${path} is not a regular file`, 'The bundle is damaged; verify it.');
  if (st.size > max) throw new FerryError(`${path} is larger than ${max} bytes`, 'The bundle is damaged; verify it.');
  return readFile(path);
}

/**
 * Reads the recipe and lock a (verified) bundle folder carries: recipe.yaml must hash to the
 * sha256 lock.json records, and parses as a recipe (errors name the field).
 */
export async function readBundleRecipe(dir: string): Promise<{ recipe: Recipe; lock: Lock; sha256: string }> {
  const lockPath = join(dir, LOCK_FILE);
  const recipePath = join(dir, RECIPE_FILE);
  const lockBytes = await readSmallFile(lockPath, MAX_LOCK_BYTES);
  if (!lockBytes) throw notFromRecipe(dir, `no ${LOCK_FILE}`);
  let raw: unknown;
  try {
    raw = JSON.parse(lockBytes.toString('utf8'));
  } catch (err) {
    throw new FerryError(`${lockPath} is not JSON: ${(err as Error).message}`, 'The bundle is damaged; verify it.');
  }
  const lock = parseLock(raw, lockPath);
  const bytes = await readSmallFile(recipePath, 1 << 20);
  if (!bytes) throw notFromRecipe(dir, `no ${RECIPE_FILE}${lock.recipe.origin === 'adhoc' ? '; its lock names images and models given on the command line' : ''}`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (lock.recipe.sha256 === undefined || sha256 !== lock.recipe.sha256) {
    throw new FerryError(
      `${recipePath} (sha256 ${sha256}) does not match the recipe sha256 in ${lockPath} (${lock.recipe.sha256 ?? 'none recorded'})`,
      'The recipe in the bundle was changed after the bundle was created; verify the bundle and do not install from it.',
    );
  }
  const loaded = await loadRecipeFile(recipePath, lock.recipe.origin === 'builtin' ? 'builtin' : 'user');
  if (loaded.sha256 !== sha256) throw new FerryError(`${recipePath} changed while being read`, 'Retry; something else is writing the bundle.');
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
