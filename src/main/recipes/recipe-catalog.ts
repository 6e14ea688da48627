import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FerryError, UsageError } from '../../shared/errors';
import { checkRecipe } from './recipe-check';
import { RecipeSchema, type Recipe } from './recipe-schema';

export interface LoadedRecipe {
  recipe: Recipe;
  origin: 'builtin' | 'user';
  file: string;
  /** sha256 of the file's bytes, recorded in locks. */
  sha256: string;
}

const MAX_RECIPE_BYTES = 1 << 20;
const EXT = /\.ya?ml$/i;

/** Built-in recipes ship in resources/recipes (next to out/ when built, the repo root in tests). */
export function builtinRecipesDir(): string {
  const fromEnv = process.env.FERRY_BUILTIN_RECIPES;
  if (fromEnv) return resolve(fromEnv);
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  if (packaged && existsSync(join(packaged, 'recipes'))) return join(packaged, 'recipes');
  for (let dir = __dirname, i = 0; i < 6; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'resources', 'recipes');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
  }
  throw new FerryError('The built-in recipes are missing (resources/recipes not found)', 'Reinstall Ferry, or set FERRY_BUILTIN_RECIPES to the folder holding them.');
}

export function userRecipesDir(dataDir: string): string {
  return join(dataDir, 'recipes');
}

/** Parses and validates one recipe file; errors name the file and the field. */
export async function loadRecipeFile(file: string, origin: LoadedRecipe['origin'] = 'user'): Promise<LoadedRecipe> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new UsageError(`Recipe file ${file} does not exist or is not a file`);
  if (st.size > MAX_RECIPE_BYTES) throw new FerryError(`Recipe file ${file} is larger than 1 MiB`, 'A recipe is a short YAML document.');
  return parseRecipe(await readFile(file), file, origin);
}

/** Parses and validates recipe bytes already read (e.g. from media by io/media-file); errors name `file` and the field. */
export async function parseRecipe(bytes: Buffer, file: string, origin: LoadedRecipe['origin'] = 'user'): Promise<LoadedRecipe> {
  const { parseDocument } = await import('yaml'); // loaded on first use: it costs ~100 ms at startup
  const doc = parseDocument(bytes.toString('utf8'), { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new FerryError(`${file}: invalid YAML: ${e.message.split('\n')[0]}`, 'Fix the YAML syntax at the line given.');
  }
  const parsed = RecipeSchema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FerryError(`${file}: field ${issue.path.join('.') || '(root)'}: ${issue.message}`, 'See docs/recipes.md and docs/recipe.schema.json for the recipe format.');
  }
  const problems = checkRecipe(parsed.data);
  if (problems.length > 0) {
    throw new FerryError(`${file}: field ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : ''}`, 'See docs/recipes.md for the recipe format.');
  }
  return { recipe: parsed.data, origin, file, sha256: createHash('sha256').update(bytes).digest('hex') };
}

async function loadDir(dir: string, origin: LoadedRecipe['origin']): Promise<LoadedRecipe[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw new FerryError(`Cannot read recipe folder ${dir}: ${err.message}`);
  });
  const out: LoadedRecipe[] = [];
  for (const name of names.filter((n) => EXT.test(n)).sort()) out.push(await loadRecipeFile(join(dir, name), origin));
  return out;
}

/** Built-in recipes, then the user's own from `<data-dir>/recipes/` (a user recipe with a built-in's id replaces it). */
export async function listRecipes(dataDir: string): Promise<LoadedRecipe[]> {
  const builtin = await loadDir(builtinRecipesDir(), 'builtin');
  const user = await loadDir(userRecipesDir(dataDir), 'user');
  const byId = new Map<string, LoadedRecipe>();
  for (const r of [...builtin, ...user]) {
    const prev = byId.get(r.recipe.id);
    if (prev && prev.origin === r.origin) throw new FerryError(`Recipe id "${r.recipe.id}" is used by both ${prev.file} and ${r.file}`, 'Give each recipe its own id.');
    byId.set(r.recipe.id, r);
  }
  return [...byId.values()].sort((a, b) => (a.recipe.id < b.recipe.id ? -1 : 1));
}

/** A recipe by id, or by path to a recipe file. */
export async function getRecipe(idOrFile: string, dataDir: string): Promise<LoadedRecipe> {
  if (EXT.test(idOrFile) && (idOrFile.includes('/') || existsSync(idOrFile))) return loadRecipeFile(resolve(idOrFile));
  const all = await listRecipes(dataDir);
  const found = all.find((r) => r.recipe.id === idOrFile);
  if (!found) throw new UsageError(`No recipe "${idOrFile}"`, `Known recipes: ${all.map((r) => r.recipe.id).join(', ')}. Add your own in ${userRecipesDir(dataDir)}.`);
  return found;
}
