import { isAbsolute, relative, resolve, sep, win32 } from 'node:path';
import { FerryError } from '../../shared/errors';

const MAX_PATH = 4096;
const UNSAFE_HINT =
  'The model repository lists a file whose path could escape the destination folder; treat the source as untrusted.';

/** Why a file path listed by the hub is unsafe to write under a folder, or undefined when it is fine. */
export function modelPathProblem(path: string): string | undefined {
  if (typeof path !== 'string' || path.length === 0) return 'it is empty';
  if (path.length > MAX_PATH) return `it is longer than ${MAX_PATH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'it contains NUL or control characters';
  if (path.includes('\\')) return 'it contains a backslash';
  if (path.startsWith('/') || isAbsolute(path) || win32.isAbsolute(path)) return 'it is absolute';
  if (/^[A-Za-z]:/.test(path)) return 'it starts with a drive letter';
  for (const segment of path.split('/')) {
    if (segment === '') return 'it has an empty path segment';
    if (segment === '.' || segment === '..') return `it contains a "${segment}" segment`;
  }
  return undefined;
}

/** Throws a FerryError naming `path` when the hub listed an unsafe file path. */
export function assertSafeModelPath(path: string): void {
  const why = modelPathProblem(path);
  if (why !== undefined) {
    throw new FerryError(`Refusing unsafe file path from the hub ${JSON.stringify(path)}: ${why}`, UNSAFE_HINT);
  }
}

/** Where a model file lands under `destDir`; throws when `path` is unsafe or would land outside it. */
export function modelFileDest(destDir: string, path: string): string {
  assertSafeModelPath(path);
  const root = resolve(destDir);
  const full = resolve(root, ...path.split('/'));
  const rel = relative(root, full);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new FerryError(`Refusing unsafe file path from the hub ${JSON.stringify(path)}: it escapes ${root}`, UNSAFE_HINT);
  }
  return full;
}

/** Percent-encodes each segment so names with spaces, `#` or `?` survive in a hub URL. */
export function encodeModelPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
