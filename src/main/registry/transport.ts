import { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { CanceledError, FerryError } from '../../shared/errors';
import { createProxyDispatcher, proxyConfigured } from '../acquire/proxy';
import { RegistryAuth, type Credentials } from './auth';
import { checkUrlAllowed, createDispatcher, resolveOrigin, type EndpointOptions } from './http';
import { discardBody, networkError, readErrorBody } from './registry-errors';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface SendRequest {
  method: Method;
  /** A path on the registry origin (`/v2/...`) or an absolute URL (upload Location). */
  url: string | URL;
  /** Token scopes, e.g. `repository:library/busybox:pull`. */
  scopes: string[];
  headers?: Record<string, string>;
  /** A Buffer can be replayed after a 401; a stream cannot (auth must be settled first). */
  body?: Buffer | AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
  /** Follow up to 5 redirects; Authorization is never sent to another origin. */
  followRedirects?: boolean;
}

export interface SendResult {
  res: Dispatcher.ResponseData;
  /** The URL that produced `res` (after redirects); resolve Location headers against it. */
  url: URL;
}

const MAX_REDIRECTS = 5;
const REDIRECT = new Set([301, 302, 303, 307, 308]);

export function header(res: Dispatcher.ResponseData, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Sends requests to one registry: scheme rule, CA, auth challenges and safe redirects. */
export class RegistryTransport {
  readonly registry: string;
  readonly origin: string;
  private readonly insecureHost?: string;
  private dispatcherP?: Promise<Dispatcher>;
  readonly auth: RegistryAuth;

  constructor(private readonly opts: EndpointOptions & { credentials?: Credentials }) {
    const { registry, origin } = resolveOrigin(opts);
    this.registry = registry;
    this.origin = origin;
    if (opts.insecure) this.insecureHost = new URL(origin).host;
    this.auth = new RegistryAuth({ registry, credentials: opts.credentials, assertAllowed: (u) => this.assertAllowed(u) });
  }

  assertAllowed(url: URL): void {
    checkUrlAllowed(url, this.insecureHost);
  }

  dispatcher(): Promise<Dispatcher> {
    // HTTPS_PROXY/HTTP_PROXY/NO_PROXY are honoured when set (undici's EnvHttpProxyAgent).
    this.dispatcherP ??= proxyConfigured() ? createProxyDispatcher(this.opts.caFile) : createDispatcher(this.opts.caFile);
    return this.dispatcherP;
  }

  async close(): Promise<void> {
    if (this.dispatcherP) await (await this.dispatcherP).close();
  }

  async send(req: SendRequest): Promise<SendResult> {
    const dispatcher = await this.dispatcher();
    let url = new URL(req.url, this.origin);
    let method = req.method;
    let body = req.body;
    let retriedAuth = false;
    for (let hops = 0; ; ) {
      this.assertAllowed(url);
      if (req.signal?.aborted) throw new CanceledError();
      const sameOrigin = url.origin === this.origin;
      const headers: Record<string, string> = { ...req.headers };
      const authorization = sameOrigin ? await this.auth.authorization(req.scopes, req.signal, dispatcher) : undefined;
      if (authorization) headers['authorization'] = authorization;
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method,
          headers,
          body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : Readable.from(body),
          dispatcher,
          signal: req.signal,
          // undici closes the connection after every HEAD by default; registries answer HEAD
          // correctly, and re-push checks are all HEADs, so keep the connection (and TLS session).
          reset: false,
        });
      } catch (err) {
        throw networkError(err, url.host, req.signal);
      }
      if (res.statusCode === 401 && sameOrigin && !retriedAuth && (body === undefined || Buffer.isBuffer(body))) {
        retriedAuth = true;
        const retry = await this.auth.onUnauthorized(res.headers['www-authenticate'], req.scopes, authorization, req.signal, dispatcher);
        if (retry) {
          await readErrorBody(res.body);
          continue;
        }
      }
      if (req.followRedirects && REDIRECT.has(res.statusCode)) {
        const location = header(res, 'location');
        if (!location) return { res, url };
        if (++hops > MAX_REDIRECTS) {
          discardBody(res.body);
          throw new FerryError(`Too many redirects from ${this.registry}`, 'The registry or its storage backend is misconfigured.');
        }
        await readErrorBody(res.body);
        url = new URL(location, url);
        if (res.statusCode === 303) {
          method = method === 'HEAD' ? 'HEAD' : 'GET';
          body = undefined;
        }
        continue;
      }
      return { res, url };
    }
  }
}
