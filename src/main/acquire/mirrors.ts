import { UsageError } from '../../shared/errors';
import { DOCKER_HUB } from '../registry/reference';

/** Where to fetch a registry's content from instead: another host, optionally under a path prefix. */
export interface Mirror {
  host: string;
  prefix: string;
}

const HOST = /^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;
const PREFIX = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

const canonicalHost = (h: string): string => (HUB_ALIASES.has(h.toLowerCase()) ? DOCKER_HUB : h.toLowerCase());

/**
 * Parses `--mirror SOURCE=MIRROR[/PREFIX]` (repeatable), e.g. `registry.gitlab.com=127.0.0.1:5101`
 * or `docker.io=harbor.internal/dockerhub-proxy`. The bundle keeps the canonical source names;
 * only fetching goes to the mirror.
 */
export function parseMirrors(specs: readonly string[] | undefined): Map<string, Mirror> {
  const out = new Map<string, Mirror>();
  for (const spec of specs ?? []) {
    const eq = spec.indexOf('=');
    const source = eq > 0 ? spec.slice(0, eq).trim() : '';
    const target = eq > 0 ? spec.slice(eq + 1).trim().replace(/^https?:\/\//, '').replace(/\/+$/, '') : '';
    const [host = '', ...rest] = target.split('/');
    const prefix = rest.join('/');
    if (!HOST.test(source) || !HOST.test(host) || (prefix !== '' && !PREFIX.test(prefix))) {
      throw new UsageError(`--mirror ${spec}: expected SOURCE=HOST[:PORT][/PREFIX]`, 'Example: --mirror registry.gitlab.com=127.0.0.1:5101');
    }
    out.set(canonicalHost(source), { host, prefix });
  }
  return out;
}

/** Host and repository to fetch `registry/repository` from. */
export function mirrored(mirrors: Map<string, Mirror>, registry: string, repository: string): { host: string; repository: string } {
  const m = mirrors.get(canonicalHost(registry));
  if (!m) return { host: registry, repository };
  return { host: m.host, repository: m.prefix ? `${m.prefix}/${repository}` : repository };
}
