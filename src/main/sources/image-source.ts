import { resolve } from 'node:path';
import { FerryError, UsageError } from '../../shared/errors';
import { parseReference, type ImageReference } from '../registry/reference';

/**
 * Where an image comes from, in skopeo's transport syntax: a registry reference (the default,
 * optionally `docker://`), `oci:DIR[:NAME]` (an OCI layout folder), `oci-archive:FILE[:NAME]`,
 * `docker-archive:FILE[:NAME]` (`docker save` output) or `docker-daemon:NAME[:TAG]` (the local engine).
 */
export type ImageSource =
  | { transport: 'registry'; ref: ImageReference }
  | { transport: 'oci' | 'oci-archive' | 'docker-archive'; path: string; name?: string }
  | { transport: 'docker-daemon'; name: string };

const LOCAL = ['oci', 'oci-archive', 'docker-archive'] as const;

function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FerryError && !(err instanceof UsageError)) throw new UsageError(err.message, err.hint);
    throw err;
  }
}

export function parseImageSource(input: string): ImageSource {
  const s = input.trim();
  if (s.startsWith('docker://')) return { transport: 'registry', ref: asUsage(() => parseReference(s.slice(9))) };
  for (const t of LOCAL) {
    if (!s.startsWith(`${t}:`)) continue;
    const rest = s.slice(t.length + 1);
    // FILE[:NAME], as skopeo reads it: the path ends at the first ':'.
    const colon = rest.indexOf(':');
    const path = colon >= 0 ? rest.slice(0, colon) : rest;
    const name = colon >= 0 ? rest.slice(colon + 1) : undefined;
    if (!path) throw new UsageError(`Image source "${input}" names no file`, `Use ${t}:PATH[:NAME].`);
    return { transport: t, path: resolve(path), ...(name ? { name } : {}) };
  }
  if (s.startsWith('docker-daemon:')) {
    const name = s.slice('docker-daemon:'.length);
    asUsage(() => parseReference(name));
    return { transport: 'docker-daemon', name };
  }
  return { transport: 'registry', ref: asUsage(() => parseReference(s)) };
}

export function isLocalSource(src: ImageSource): boolean {
  return src.transport !== 'registry';
}
