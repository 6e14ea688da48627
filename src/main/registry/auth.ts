import { request, type Dispatcher } from 'undici';
import { FerryError } from '../../shared/errors';
import { discardBody, errorFromResponse, networkError, readErrorBody } from './registry-errors';

export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  /** Lowercase scheme, e.g. `bearer`, `basic`. */
  scheme: string;
  /** Lowercase parameter names. */
  params: Record<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/** Parses a WWW-Authenticate header value: one or more challenges, each `scheme k=v, k="quoted"`. */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let cur: Challenge | undefined;
  let i = 0;
  const n = header.length;
  const skipWs = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  while (i < n) {
    while (i < n && (header[i] === ' ' || header[i] === '\t' || header[i] === ',')) i++;
    const start = i;
    while (i < n && TOKEN_CHAR.test(header[i]!)) i++;
    if (i === start) break; // garbage: stop rather than guess
    const token = header.slice(start, i);
    skipWs();
    if (header[i] !== '=') {
      cur = { scheme: token.toLowerCase(), params: {} };
      out.push(cur);
      continue;
    }
    i++;
    skipWs();
    let value = '';
    if (header[i] === '"') {
      i++;
      while (i < n && header[i] !== '"') {
        if (header[i] === '\\' && i + 1 < n) i++;
        value += header[i];
        i++;
      }
      i++;
    } else {
      const vs = i;
      while (i < n && header[i] !== ',' && header[i] !== ' ' && header[i] !== '\t') i++;
      value = header.slice(vs, i);
    }
    if (cur) cur.params[token.toLowerCase()] = value;
  }
  return out;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

type Mode = { kind: 'none' } | { kind: 'basic' } | { kind: 'bearer'; realm: string; service?: string };

export interface AuthOptions {
  registry: string;
  credentials?: Credentials;
  assertAllowed: (url: URL) => void;
}

const MAX_TOKEN_RESPONSE = 1024 * 1024;
const DEFAULT_TOKEN_SECONDS = 60;

/**
 * Holds the registry's auth scheme (learned from its first 401) and a token cache per scope
 * set. Authorization is only ever attached to requests to the registry origin by the caller.
 */
export class RegistryAuth {
  private mode: Mode = { kind: 'none' };
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();

  constructor(private readonly o: AuthOptions) {}

  /** Authorization header for a request needing `scopes`, fetching a token if needed. */
  async authorization(scopes: string[], signal: AbortSignal | undefined, dispatcher: Dispatcher): Promise<string | undefined> {
    if (this.mode.kind === 'basic') return this.basic();
    if (this.mode.kind !== 'bearer') return undefined;
    const key = scopeKey(scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
    return `Bearer ${(await this.fetchToken(key, scopes, signal, dispatcher)).token}`;
  }

  /**
   * Learns from a 401 challenge. `sent` is the Authorization the failed request carried.
   * Returns true when a retry with fresh authorization makes sense (callers retry once).
   */
  async onUnauthorized(header: string | string[] | undefined, scopes: string[], sent: string | undefined, signal: AbortSignal | undefined, dispatcher: Dispatcher): Promise<boolean> {
    const challenges = (Array.isArray(header) ? header : header ? [header] : []).flatMap(parseWwwAuthenticate);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer?.params['realm']) {
      this.mode = { kind: 'bearer', realm: bearer.params['realm'], service: bearer.params['service'] };
      const key = scopeKey(scopes);
      const cached = this.tokens.get(key);
      if (cached && sent === `Bearer ${cached.token}`) this.tokens.delete(key);
      // The challenge may name the scope it wants; ask for it along with ours (this request only).
      const wanted = [...scopes, ...(bearer.params['scope'] ?? '').split(' ').filter(Boolean)];
      if (!this.tokens.has(key)) await this.fetchToken(key, [...new Set(wanted)], signal, dispatcher);
      return true;
    }
    if (basic && this.o.credentials) {
      this.mode = { kind: 'basic' };
      return sent !== this.basic();
    }
    return false;
  }

  get hasCredentials(): boolean {
    return this.o.credentials !== undefined;
  }

  private basic(): string | undefined {
    const c = this.o.credentials;
    return c ? `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` : undefined;
  }

  private fetchToken(key: string, scopes: string[], signal: AbortSignal | undefined, dispatcher: Dispatcher): Promise<CachedToken> {
    let p = this.inflight.get(key);
    if (!p) {
      p = this.requestToken(scopes, signal, dispatcher).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p.then((t) => {
      this.tokens.set(key, t);
      return t;
    });
  }

  private async requestToken(scopes: string[], signal: AbortSignal | undefined, dispatcher: Dispatcher): Promise<CachedToken> {
    if (this.mode.kind !== 'bearer') throw new Error('not in bearer mode');
    let url: URL;
    try {
      url = new URL(this.mode.realm);
    } catch {
      throw new FerryError(`${this.o.registry} sent an invalid token realm "${this.mode.realm}"`, 'The registry auth configuration is broken.');
    }
    this.o.assertAllowed(url);
    if (this.mode.service) url.searchParams.set('service', this.mode.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { accept: 'application/json' };
    const basic = this.basic();
    if (basic) headers['authorization'] = basic;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method: 'GET', headers, dispatcher, signal });
    } catch (err) {
      throw networkError(err, url.host, signal);
    }
    const ctx = { registry: this.o.registry, repository: scopes[0]?.split(':')[1], what: 'token' as const, hadCredentials: !!basic };
    if (res.statusCode !== 200) throw await errorFromResponse(res, ctx);
    const len = Number(res.headers['content-length'] ?? 0);
    if (len > MAX_TOKEN_RESPONSE) {
      discardBody(res.body);
      throw new FerryError(`Token response from ${url.host} is too large`, 'The token service is misbehaving.');
    }
    const text = await readErrorBody(res.body);
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new FerryError(`Token service ${url.host} returned invalid JSON`, 'Check the registry token service configuration.');
    }
    const token = typeof body.token === 'string' && body.token ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
    if (!token || /[\r\n]/.test(token)) throw new FerryError(`Token service ${url.host} returned no token`, 'Check the registry token service configuration.');
    const secs = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    return { token, expiresAt: Date.now() + Math.max(1, secs - 5) * 1000 };
  }
}

function scopeKey(scopes: string[]): string {
  return [...new Set(scopes)].sort().join(' ');
}
