import { UsageError } from '../../shared/errors';
import type { ParamValues, When } from './recipe-schema';

const REF = /\$\{([^}]*)\}/g;
const NAME = /^[a-z][a-z0-9_]{0,62}(?:\.[a-z0-9][a-z0-9_-]{0,62})?$/;

/** The names a template refers to (`${name}` or `${secret.name}`), in order. */
export function templateRefs(tpl: string): string[] {
  return [...tpl.matchAll(REF)].map((m) => m[1]!.trim());
}

/** Why a reference is malformed, or undefined. */
export function refProblem(ref: string): string | undefined {
  return NAME.test(ref) ? undefined : `"\${${ref}}" is not a valid reference (use \${param} or \${secret.name})`;
}

/**
 * Substitutes `${name}` with parameter values. `where` names the recipe field for errors.
 * Only plain parameter names are substituted here; install-time references stay as they are.
 */
export function expandTemplate(tpl: string, values: ParamValues, where: string): string {
  return tpl.replace(REF, (whole, raw: string) => {
    const name = raw.trim();
    if (name.includes('.')) return whole;
    const v = values[name];
    if (v === undefined) throw new UsageError(`${where}: parameter "${name}" has no value`, `Pass --set ${name}=VALUE.`);
    return String(v);
  });
}

/** Whether an entry's `when` holds for the given values (no `when`: always). */
export function whenHolds(when: When | undefined, values: ParamValues): boolean {
  if (!when) return true;
  return Object.entries(when).every(([name, want]) => {
    const have = values[name];
    return (Array.isArray(want) ? want : [want]).some((w) => w === have);
  });
}
