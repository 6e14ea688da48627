import { UsageError } from '../../shared/errors';

export interface RegistryTarget {
  registry: string;
  prefix: string;
}

/** Parses `HOST[:PORT][/PREFIX]`, e.g. `127.0.0.1:5002/duo` or `registry.internal/ai/gitlab`. */
export function parseRegistryTarget(input: string): RegistryTarget {
  const trimmed = input.trim().replace(/^(https?:\/\/)/, '').replace(/\/+$/, '');
  const [registry, ...rest] = trimmed.split('/');
  const prefix = rest.join('/');
  const hostOk = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(registry ?? '');
  const prefixOk = prefix === '' || /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(prefix);
  if (!registry || !hostOk || !prefixOk) {
    throw new UsageError(`Registry target "${input}" is not HOST[:PORT][/PREFIX]`, 'Example: --registry registry.internal:5000/duo (prefix: lowercase path components).');
  }
  return { registry, prefix };
}

/** Target repository: the prefix plus the last path component of the recipe target or, without one, of the source repository. */
export function targetRepository(target: RegistryTarget, sourceRepository: string): string {
  const last = sourceRepository.split('/').pop()!;
  return target.prefix ? `${target.prefix}/${last}` : last;
}
