import { UsageError } from '../../shared/errors';
import type { ParamValues, Recipe } from './recipe-schema';

/** Parses repeated `--set k=v` into a map; a key given twice keeps the last value. */
export function parseSets(sets: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${s}: expected NAME=VALUE`, 'Example: --set gitlab_version=18.10.0');
    out[s.slice(0, eq).trim()] = s.slice(eq + 1);
  }
  return out;
}

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

/**
 * Binds user values to a recipe's parameters: unknown names, values outside an enum's choices,
 * non-boolean bools and unset acquire parameters are usage errors naming the parameter.
 * Install-stage parameters without a value are left out.
 */
export function bindParams(recipe: Recipe, given: Record<string, string | boolean>): ParamValues {
  const params = recipe.parameters ?? [];
  const known = new Set(params.map((p) => p.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      throw new UsageError(`Recipe ${recipe.id} has no parameter "${name}"`, known.size ? `Its parameters: ${[...known].join(', ')}.` : 'It takes no parameters.');
    }
  }
  const out: ParamValues = {};
  for (const p of params) {
    const raw = given[p.name] ?? p.default;
    if (raw === undefined) {
      if (p.stage === 'install') continue;
      throw new UsageError(`Recipe ${recipe.id}: parameter "${p.name}" needs a value`, `Pass --set ${p.name}=VALUE${p.description ? ` (${p.description})` : ''}.`);
    }
    if (p.type === 'bool') {
      const s = String(raw).toLowerCase();
      if (!TRUE.has(s) && !FALSE.has(s)) throw new UsageError(`Recipe ${recipe.id}: parameter "${p.name}" must be true or false, not "${String(raw)}"`);
      out[p.name] = TRUE.has(s);
      continue;
    }
    const value = String(raw);
    if (p.type === 'enum' && !p.choices!.includes(value)) {
      throw new UsageError(`Recipe ${recipe.id}: parameter "${p.name}" must be one of ${p.choices!.join(', ')}; got "${value}"`);
    }
    if (p.pattern !== undefined && !new RegExp(p.pattern).test(value)) {
      throw new UsageError(`Recipe ${recipe.id}: parameter "${p.name}" value "${value}" does not match ${p.pattern}`, p.description);
    }
    if (value.length > 1024 || /[\u0000-\u001f]/.test(value)) throw new UsageError(`Recipe ${recipe.id}: parameter "${p.name}" has a control character or is too long`);
    out[p.name] = value;
  }
  return out;
}
