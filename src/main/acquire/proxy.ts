import { rootCertificates } from 'node:tls';
import { EnvHttpProxyAgent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { loadCaFile } from '../registry/http';
import { stallTimeouts } from './stall-timeout';

// HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case), as curl and skopeo read them. undici's
// EnvHttpProxyAgent applies NO_PROXY per request, so a mirror on the local network can bypass
// the proxy while everything else goes through it. HTTPS goes through a CONNECT tunnel; plain
// HTTP (loopback or --insecure-registry hosts) is sent to the proxy in absolute form, as curl does.

export function proxyConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy);
}

/** An EnvHttpProxyAgent that also trusts `caFile` (for the registry, not the proxy). */
export async function createProxyDispatcher(caFile?: string): Promise<Dispatcher> {
  const ca = caFile ? [...rootCertificates, await loadCaFile(caFile)] : undefined;
  return new EnvHttpProxyAgent({ connections: 16, proxyTunnel: false, ...stallTimeouts(), ...(ca ? { connect: { ca }, requestTls: { ca } } : {}) });
}

let hubDispatcher: Dispatcher | undefined;

/** `fetch` for the hub: through the proxy when one is configured, else the global fetch. */
export function proxiedFetch(): typeof fetch {
  if (!proxyConfigured()) return fetch;
  hubDispatcher ??= new EnvHttpProxyAgent({ proxyTunnel: false });
  const d = hubDispatcher;
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as never, { ...(init as object), dispatcher: d } as never)) as unknown as typeof fetch;
}
