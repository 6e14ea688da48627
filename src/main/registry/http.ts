import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import { FerryError } from '../../shared/errors';
import { stallTimeouts } from '../acquire/stall-timeout';
import { isLoopbackHost, registryApiHost } from './reference';

export interface EndpointOptions {
  /** host[:port]; an explicit `http://` or `https://` prefix is honoured (subject to the scheme rule). */
  registry: string;
  /** The user named this host as insecure: plain HTTP is allowed for it. */
  insecure?: boolean;
  /** PEM file with the CA(s) that signed the registry's certificate (added to the public roots). */
  caFile?: string;
}

const MAX_CA_BYTES = 1024 * 1024;

/**
 * Scheme rule: HTTPS everywhere; plain HTTP only for loopback hosts or a host the user named
 * insecure. Without an explicit scheme, a loopback or insecure registry without `caFile` uses HTTP.
 */
export function resolveOrigin(opts: EndpointOptions): { registry: string; origin: string } {
  const m = /^(https?):\/\/(.+?)\/?$/i.exec(opts.registry.trim());
  const registry = (m ? m[2]! : opts.registry.trim()).toLowerCase();
  if (registry === '' || /[/?#@\s]/.test(registry)) {
    throw new FerryError(`Invalid registry "${opts.registry}"`, 'Name the registry as HOST[:PORT], e.g. registry.internal:5000');
  }
  const host = registryApiHost(registry);
  const plainOk = isLoopbackHost(host) || opts.insecure === true;
  let scheme = m ? m[1]!.toLowerCase() : plainOk && !opts.caFile ? 'http' : 'https';
  if (scheme === 'http' && !plainOk) {
    throw new FerryError(
      `Refusing plain HTTP to ${registry}: only loopback registries or registries named insecure may use HTTP`,
      `Use HTTPS (pass --ca FILE for a private CA), or name the registry as insecure (--insecure-registry ${registry}) if you accept unencrypted traffic.`,
    );
  }
  if (scheme !== 'http') scheme = 'https';
  return { registry, origin: `${scheme}://${host}` };
}

/** Whether a URL (redirect target, upload location, token realm) may be contacted. */
export function checkUrlAllowed(url: URL, insecureHost?: string): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && (isLoopbackHost(url.host) || (insecureHost !== undefined && url.host.toLowerCase() === insecureHost))) return;
  throw new FerryError(
    `Refusing to contact ${url.protocol}//${url.host}: ${url.protocol === 'http:' ? 'plain HTTP to a host that is neither loopback nor named insecure' : 'unsupported scheme'}`,
    'A registry pointed Ferry at an unencrypted or unexpected location; name the host as insecure only if you trust that network.',
  );
}

export async function loadCaFile(caFile: string): Promise<string> {
  let pem: string;
  try {
    const buf = await readFile(caFile);
    if (buf.byteLength > MAX_CA_BYTES) throw new Error('larger than 1 MiB');
    pem = buf.toString('utf8');
  } catch (err) {
    throw new FerryError(`Cannot read CA file ${caFile}: ${(err as Error).message}`, 'Pass --ca with a readable PEM file holding the registry CA certificate.');
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new FerryError(`CA file ${caFile} holds no PEM certificate`, 'Pass --ca with the PEM certificate (-----BEGIN CERTIFICATE-----) of the CA that signed the registry certificate.');
  }
  return pem;
}

/** An undici Agent for one registry, trusting `caFile` in addition to the public roots. */
export async function createDispatcher(caFile?: string): Promise<Dispatcher> {
  const ca = caFile ? [...rootCertificates, await loadCaFile(caFile)] : undefined;
  return new Agent({ connect: ca ? { ca } : {}, connections: 16, ...stallTimeouts() });
}
