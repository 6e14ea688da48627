import { UsageError } from '../../shared/errors';

/** A hub model reference: `ORG/NAME` plus a branch, tag or commit (default `main`). */
export interface ModelRef {
  repo: string;
  revision: string;
}

export const DEFAULT_REVISION = 'main';

const REF_HINT = 'Use ORG/NAME or ORG/NAME@REVISION, e.g. mistralai/Mistral-7B-Instruct-v0.3@main.';
const MAX_REPO_PART = 96;
const MAX_REVISION = 255;

/** One part of a repo id (the org or the name), following the hub's own rules. */
const REPO_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
/** Branch, tag (possibly `refs/...`) or commit; slashes separate non-empty parts. */
const REVISION = /^[A-Za-z0-9_](?:[A-Za-z0-9._+-]*)(?:\/[A-Za-z0-9_][A-Za-z0-9._+-]*)*$/;
const COMMIT = /^[0-9a-f]{40}$/;

/** True for a full 40-hex git commit id (lowercase, as the hub returns it). */
export function isCommitSha(value: string): boolean {
  return COMMIT.test(value);
}

/** Why `repo` is not a valid `ORG/NAME`, or undefined when it is. */
export function repoIdProblem(repo: string): string | undefined {
  const parts = repo.split('/');
  if (parts.length !== 2) return 'expected exactly one "/" between organisation and model name';
  for (const part of parts) {
    if (part.length === 0) return 'organisation and model name must not be empty';
    if (part.length > MAX_REPO_PART) return `"${part}" is longer than ${MAX_REPO_PART} characters`;
    if (!REPO_PART.test(part)) {
      return `"${part}" may only contain letters, digits, "-", "_" and "." and must start and end with a letter or digit`;
    }
    if (part.includes('--') || part.includes('..')) return `"${part}" must not contain "--" or ".."`;
  }
  return undefined;
}

/** Why `revision` is not a usable branch, tag or commit, or undefined when it is. */
export function revisionProblem(revision: string): string | undefined {
  if (revision.length === 0) return 'the revision after "@" is empty';
  if (revision.length > MAX_REVISION) return `the revision is longer than ${MAX_REVISION} characters`;
  if (!REVISION.test(revision)) {
    return 'the revision may only contain letters, digits, "-", "_", ".", "+" and "/"-separated parts';
  }
  if (revision.includes('..')) return 'the revision must not contain ".."';
  if (revision.endsWith('.') || revision.endsWith('.lock')) return 'the revision must not end with "." or ".lock"';
  return undefined;
}

/** Parses `ORG/NAME[@REVISION]`; throws a UsageError naming the input when it is not valid. */
export function parseModelRef(input: string): ModelRef {
  if (typeof input !== 'string' || input.length === 0) return invalid(input, 'it is empty');
  const at = input.indexOf('@');
  if (at === -1) return validated(input, input, DEFAULT_REVISION);
  if (input.indexOf('@', at + 1) !== -1) return invalid(input, 'it contains more than one "@"');
  return validated(input, input.slice(0, at), input.slice(at + 1));
}

/** Validates an already-split reference (e.g. from a recipe) the same way `parseModelRef` does. */
export function checkModelRef(ref: { repo: string; revision?: string }): ModelRef {
  const shown = ref.revision === undefined ? ref.repo : `${ref.repo}@${ref.revision}`;
  if (ref.repo.includes('@')) return invalid(shown, 'the repo id must not contain "@"');
  return validated(shown, ref.repo, ref.revision ?? DEFAULT_REVISION);
}

function validated(input: string, repo: string, revision: string): ModelRef {
  const why = repoIdProblem(repo) ?? revisionProblem(revision);
  return why === undefined ? { repo, revision } : invalid(input, why);
}

function invalid(input: unknown, why: string): never {
  throw new UsageError(`Invalid model reference ${JSON.stringify(input)}: ${why}`, REF_HINT);
}
