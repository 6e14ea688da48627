import { isIPv4, isIPv6 } from 'node:net';
import { FerryError } from '../../shared/errors';

/** A parsed image reference, normalised: `busybox` → docker.io / library/busybox : latest. */
export interface ImageReference {
  /** Registry host[:port] as the user names it (`docker.io` for Docker Hub). */
  registry: string;
  repository: string;
  /** Absent only when the reference pins a digest and names no tag. */
  tag?: string;
  /** `sha256:<64 hex>` */
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]{1,5})?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const MAX_NAME = 255;

function bad(input: string, why: string, hint?: string): FerryError {
  return new FerryError(
    `Invalid image reference "${input}": ${why}`,
    hint ?? 'Use the form [REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:DIGEST], e.g. docker.io/library/busybox:1.36',
  );
}

/** Parses `registry/repo:tag@digest`, applying Docker Hub defaults. Throws FerryError naming the input. */
export function parseReference(input: string): ImageReference {
  const s = input.trim();
  if (s === '') throw bad(input, 'it is empty');
  if (/\s/.test(s)) throw bad(input, 'it contains whitespace');
  if (s.includes('://')) throw bad(input, 'it must not contain a URL scheme');

  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) {
      throw bad(input, `"${digest}" is not a sha256 digest`, 'A digest is "sha256:" followed by 64 lowercase hex characters.');
    }
  }

  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/') && !rest.endsWith(']')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw bad(input, `"${tag}" is not a valid tag`, 'Tags are up to 128 letters, digits, "_", "." and "-", not starting with "." or "-".');
  }

  let registry = DOCKER_HUB;
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[') || first !== first.toLowerCase()) {
      if (!DOMAIN.test(first)) throw bad(input, `"${first}" is not a valid registry host`);
      registry = DOCKER_HUB_ALIASES.has(first.toLowerCase()) ? DOCKER_HUB : first;
      rest = rest.slice(slash + 1);
    }
  }

  if (rest === '') throw bad(input, 'the repository name is missing');
  const parts = rest.split('/');
  for (const part of parts) {
    if (part !== part.toLowerCase()) throw bad(input, `"${rest}" has uppercase letters`, 'Repository names must be lowercase.');
    if (!PATH_COMPONENT.test(part)) throw bad(input, `"${part}" is not a valid repository name component`);
  }
  let repository = rest;
  if (registry === DOCKER_HUB && parts.length === 1) repository = `library/${rest}`;
  if (repository.length > MAX_NAME) throw bad(input, `the repository name is longer than ${MAX_NAME} characters`);

  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Full form: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The host[:port] that serves the registry API (Docker Hub's differs from its name). */
export function registryApiHost(registry: string): string {
  return DOCKER_HUB_ALIASES.has(registry.toLowerCase()) ? DOCKER_HUB_API : registry;
}

/** Splits `host[:port]` / `[v6]:port` / bare IPv6 into the host (no brackets) and the port. */
export function splitHostPort(hostPort: string): { host: string; port?: number } {
  const s = hostPort.trim();
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    const host = end > 0 ? s.slice(1, end) : s.slice(1);
    const port = end > 0 && s[end + 1] === ':' ? Number(s.slice(end + 2)) : undefined;
    return { host, ...(port !== undefined && Number.isInteger(port) ? { port } : {}) };
  }
  const colons = s.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = s.split(':') as [string, string];
    const n = Number(port);
    return { host, ...(port !== '' && Number.isInteger(n) ? { port: n } : {}) };
  }
  return { host: s };
}

/** True for 127.0.0.0/8, ::1 (and ::ffff:127.x) and localhost, with or without a port. */
export function isLoopbackHost(hostPort: string): boolean {
  const host = splitHostPort(hostPort).host.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost') return true;
  if (isIPv4(host)) return host.split('.')[0] === '127';
  if (isIPv6(host)) {
    const norm = new URL(`http://[${host}]/`).hostname.slice(1, -1);
    if (norm === '::1') return true;
    const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(norm);
    return mapped !== null && parseInt(mapped[1]!, 16) >> 8 === 127;
  }
  return false;
}

/** Throws unless `repo` is a valid repository path (keeps it safe to put into a URL path). */
export function assertRepository(repo: string): void {
  if (repo.length === 0 || repo.length > MAX_NAME || !repo.split('/').every((p) => PATH_COMPONENT.test(p))) {
    throw new FerryError(`Invalid repository name "${repo}"`, 'Repository names are lowercase path components such as library/busybox.');
  }
}

/** Throws unless `ref` is a tag or a sha256 digest. */
export function assertTagOrDigest(ref: string): void {
  if (!TAG.test(ref) && !DIGEST_RE.test(ref)) {
    throw new FerryError(`Invalid tag or digest "${ref}"`, 'A tag is up to 128 letters, digits, "_", "." and "-"; a digest is sha256:<64 hex>.');
  }
}

export function isDigest(ref: string): boolean {
  return DIGEST_RE.test(ref);
}
