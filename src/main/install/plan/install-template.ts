import { UsageError } from '../../../shared/errors';
import { refProblem } from '../../recipes/template';

// Install-time expansion of recipe values: `${param}`, `${secret.NAME}` and `${artifact.ID}`.
// 'value' mode gives what a container gets; 'display' mode gives what the admin is shown
// (a secret appears as $(cat 'FILE'), never as its value).

export interface InstallTemplateContext {
  params: Record<string, string | boolean>;
  /** secret name → file path (display) */
  secretFiles: Record<string, string>;
  /** secret name → value (only for 'value' mode) */
  secretValues?: Record<string, string>;
  /** artifact id → what it means on this host: an image reference (registry/prefix/target:tag) or a model directory */
  artifacts: Record<string, string>;
}

export type InstallTemplateMode = 'value' | 'display';

const REF = /\$\{([^}]*)\}/g;
const SAFE = /^[A-Za-z0-9_/.,:=@%+-]+$/;

/** Expands every reference in `tpl`. `where` names the recipe field (e.g. install.containers[vllm].env.X) for errors. */
export function expandInstall(tpl: string, ctx: InstallTemplateContext, where: string, mode: InstallTemplateMode): string {
  return pieces(tpl, ctx, where, mode)
    .map((p) => p.text)
    .join('');
}

/**
 * The display form as one shell word, ready to paste after `--env NAME=`: literal text and values
 * single-quoted, secrets as "$(cat 'FILE')" so the shell reads the file (as in the GitLab docs).
 */
export function expandInstallShellWord(tpl: string, ctx: InstallTemplateContext, where: string): string {
  const parts = pieces(tpl, ctx, where, 'display');
  const literal = parts.every((p) => !p.secret);
  if (literal) return shellQuote(parts.map((p) => p.text).join(''));
  // Merge adjacent literal pieces so quoting stays readable.
  const merged: Piece[] = [];
  for (const p of parts) {
    const last = merged[merged.length - 1];
    if (last && !last.secret && !p.secret) last.text += p.text;
    else merged.push({ ...p });
  }
  return merged.map((p) => (p.secret ? `"${p.text}"` : p.text === '' ? '' : shellQuote(p.text))).join('');
}

/** Quotes `s` for a POSIX shell: bare when it holds only safe characters, otherwise in single quotes. */
export function shellQuote(s: string): string {
  if (SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

interface Piece {
  text: string;
  secret: boolean;
}

function pieces(tpl: string, ctx: InstallTemplateContext, where: string, mode: InstallTemplateMode): Piece[] {
  const out: Piece[] = [];
  let last = 0;
  for (const m of tpl.matchAll(REF)) {
    if (m.index! > last) out.push({ text: tpl.slice(last, m.index), secret: false });
    out.push(resolveRef(m[1]!.trim(), ctx, where, mode));
    last = m.index! + m[0].length;
  }
  if (last < tpl.length) out.push({ text: tpl.slice(last), secret: false });
  return out;
}

function resolveRef(ref: string, ctx: InstallTemplateContext, where: string, mode: InstallTemplateMode): Piece {
  const problem = refProblem(ref);
  if (problem) throw new UsageError(`${where}: ${problem}`, 'Use ${param}, ${secret.NAME} or ${artifact.ID}.');
  const dot = ref.indexOf('.');
  if (dot < 0) {
    const v = Object.prototype.hasOwnProperty.call(ctx.params, ref) ? ctx.params[ref] : undefined;
    if (v === undefined) throw new UsageError(`${where}: parameter "${ref}" has no value`, `Pass --set ${ref}=VALUE.`);
    return { text: String(v), secret: false };
  }
  const kind = ref.slice(0, dot);
  const name = ref.slice(dot + 1);
  if (kind === 'secret') return secretPiece(name, ctx, where, mode);
  if (kind === 'artifact') {
    const v = own(ctx.artifacts, name);
    if (v === undefined) {
      throw new UsageError(`${where}: artifact "${name}" is not in this install`, 'Refer to the id of an image or model artifact the bundle carries (${artifact.ID}).');
    }
    return { text: v, secret: false };
  }
  throw new UsageError(`${where}: "\${${ref}}" is not a known reference`, 'Use ${param}, ${secret.NAME} or ${artifact.ID}.');
}

function secretPiece(name: string, ctx: InstallTemplateContext, where: string, mode: InstallTemplateMode): Piece {
  const file = own(ctx.secretFiles, name);
  if (mode === 'display') {
    if (file === undefined) throw undeclared(name, where);
    return { text: `$(cat '${file.replace(/'/g, `'\\''`)}')`, secret: true };
  }
  const value = own(ctx.secretValues ?? {}, name);
  if (value === undefined) {
    if (file === undefined) throw undeclared(name, where);
    throw new UsageError(`${where}: secret "${name}" has not been read`, `Run the secrets step first; the value is read from ${file}.`);
  }
  return { text: value, secret: true };
}

function undeclared(name: string, where: string): UsageError {
  return new UsageError(`${where}: secret "${name}" is not declared`, `Add {name: ${name}, kind: rsa-2048} (or hex-32, password) to install.secrets in the recipe.`);
}

function own(rec: Record<string, string>, key: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(rec, key) ? rec[key] : undefined;
}
