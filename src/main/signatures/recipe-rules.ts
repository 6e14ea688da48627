import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { UsageError } from '../../shared/errors';
import type { LoadedRecipe } from '../recipes/recipe-catalog';
import { makeRule, type SignatureRule } from './policy';
import { DEFAULT_SIGSTORE_LOG_POLICY, type SigstoreLogPolicy } from './sigstore-log-policy';

const MAX_KEY_FILE = 64 * 1024;

/** A sigstore rule's log thresholds: both default to 1 (DEFAULT_SIGSTORE_LOG_POLICY) unless the recipe sets them. */
function logsOf(r: { tlogThreshold?: number; ctlogThreshold?: number }): { logs?: SigstoreLogPolicy } {
  if (r.tlogThreshold === undefined && r.ctlogThreshold === undefined) return {};
  return { logs: { tlogThreshold: r.tlogThreshold ?? DEFAULT_SIGSTORE_LOG_POLICY.tlogThreshold, ctlogThreshold: r.ctlogThreshold ?? DEFAULT_SIGSTORE_LOG_POLICY.ctlogThreshold } };
}
const MAX_TRUSTED_ROOT = 4 << 20;

async function readSmall(path: string, max: number, where: string): Promise<string> {
  const buf = await readFile(path).catch((err: Error) => {
    throw new UsageError(`${where}: cannot read ${path}: ${err.message}`, 'Paths in a recipe\'s signatures: are relative to the recipe file.');
  });
  if (buf.length > max) throw new UsageError(`${where}: ${path} is larger than ${max} bytes`);
  return buf.toString('utf8');
}

/** The recipe's `signatures:` rules, with key and trusted-root files read (relative to the recipe file). */
export async function recipeSignatureRules(loaded: LoadedRecipe): Promise<SignatureRule[]> {
  const out: SignatureRule[] = [];
  const base = dirname(loaded.file);
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  for (const [i, r] of (loaded.recipe.signatures ?? []).entries()) {
    const where = `${loaded.file}: signatures.${i}`;
    const publicKey = r.key === undefined ? undefined : r.key.includes('-----BEGIN') ? r.key : await readSmall(at(r.key), MAX_KEY_FILE, `${where}.key`);
    const trustedRoot = r.trustedRoot === undefined ? undefined : await readSmall(at(r.trustedRoot), MAX_TRUSTED_ROOT, `${where}.trustedRoot`);
    out.push(makeRule({ match: r.match, require: r.require, ...(publicKey ? { publicKey } : {}), ...(r.identity ? { identity: r.identity } : {}), ...(r.issuer ? { issuer: r.issuer } : {}), ...(trustedRoot ? { trustedRoot } : {}), ...logsOf(r) }, where));
  }
  return out;
}
