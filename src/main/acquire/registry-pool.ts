import type { Credentials } from '../registry/auth';
import { RegistryClient } from '../registry/registry-client';
import { dockerCredentials } from './docker-config';
import { mirrored, type Mirror } from './mirrors';

export interface RegistryPoolOptions {
  mirrors?: Map<string, Mirror>;
  /** Hosts that may be reached over plain HTTP (loopback always may). */
  insecure?: Iterable<string>;
  /** Docker config file with `auths` (default: $DOCKER_CONFIG or ~/.docker/config.json). */
  dockerConfig?: string;
  /** Credentials stored on this station (credentials/credential-store.ts), tried before the Docker config file. */
  credentials?: (host: string) => Credentials | undefined;
}

/**
 * One RegistryClient per host actually contacted: a mirror when one is configured for the
 * canonical registry, else the registry itself. Credentials: stored on the station, else the Docker config file.
 */
export class RegistryPool {
  private readonly clients = new Map<string, RegistryClient>();
  private readonly insecure: Set<string>;

  constructor(private readonly opts: RegistryPoolOptions = {}) {
    this.insecure = new Set(opts.insecure ?? []);
  }

  /** The client and repository path to fetch canonical `registry/repository` from. */
  clientFor(registry: string, repository: string): { client: RegistryClient; repository: string; host: string } {
    const m = mirrored(this.opts.mirrors ?? new Map(), registry, repository);
    let client = this.clients.get(m.host);
    if (!client) {
      const credentials = this.opts.credentials?.(m.host) ?? dockerCredentials(m.host, ...(this.opts.dockerConfig ? [this.opts.dockerConfig] : []));
      client = new RegistryClient({ registry: m.host, insecure: this.insecure.has(m.host), ...(credentials ? { credentials } : {}) });
      this.clients.set(m.host, client);
    }
    return { client, repository: m.repository, host: m.host };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.clients.values()].map((c) => c.close()));
    this.clients.clear();
  }
}
