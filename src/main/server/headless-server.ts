import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { EVENT_CHANNELS } from '../../shared/api';
import { toErrorShape, UsageError } from '../../shared/errors';
import { dispatch, subscribeEvents, type Handlers } from '../api/handlers';
import { contextOf } from '../api/identity-handlers';
import { SessionRegistry } from '../identity/session';
import type { Services } from '../core/services';
import { isLoopbackHost } from '../registry/reference';
import { guardRequest } from './request-guard';
import { serveStatic } from './static-files';

export interface ServeOptions {
  host?: string;
  port?: number;
  staticDir: string;
  tlsCert?: string;
  tlsKey?: string;
  token?: string;
}

export interface HeadlessServer {
  url: string;
  token: string;
  server: Server;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

/** The header that carries a browser session's login id (handed out by identity:login, kept in sessionStorage). */
export const SESSION_HEADER = 'x-ferry-session';

/** Serves the renderer and the typed API over HTTP(S), events as Server-Sent Events. */
export async function startHeadlessServer(s: Services, handlers: Handlers, opts: ServeOptions): Promise<HeadlessServer> {
  const host = opts.host ?? '127.0.0.1';
  const tls = opts.tlsCert && opts.tlsKey ? { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) } : undefined;
  if (!isLoopbackHost(host) && !tls) {
    throw new UsageError(`Refusing to serve on ${host} without TLS.`, 'Bind to 127.0.0.1 (default), or pass --tls-cert and --tls-key.');
  }
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const scheme = tls ? 'https' : 'http';
  const allowedHosts = new Set<string>();
  const streams = new Set<ServerResponse>();
  // Logins belong to browser sessions: a second browser (or tab) starts signed out.
  const sessions = new SessionRegistry(s.db);

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith('/api/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
      void serveStatic(opts.staticDir, url.pathname, res).catch(() => res.destroy());
      return;
    }
    const refused = guardRequest(req, token, allowedHosts, scheme);
    if (refused) return void sendJson(res, 403, { error: { name: 'Forbidden', message: refused } });
    if (req.method === 'GET' && url.pathname === '/api/events') return openEventStream(res, streams);
    const m = /^\/api\/invoke\/([a-z]+:[a-z][a-z-]*)$/.exec(url.pathname); // channel names may hold a hyphen (install:export-compose)
    if (req.method !== 'POST' || !m) return void sendJson(res, 404, { error: { name: 'NotFound', message: 'No such API route' } });
    const given = req.headers[SESSION_HEADER];
    const known = typeof given === 'string' && sessions.has(given) ? given : undefined;
    const headers: Record<string, string> = {};
    const slot = sessions.slot(known, (id) => (headers[SESSION_HEADER] = id));
    void readJson(req)
      .then((arg) => dispatch(handlers, m[1]!, arg, contextOf(slot, m[1]!)))
      .then((result) => sendJson(res, 200, { result: result ?? null }, headers))
      .catch((err: unknown) => sendJson(res, err instanceof UsageError ? 400 : 500, { error: toErrorShape(err) }, headers));
  };

  const server = tls ? createHttps(tls, onRequest) : createHttp(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  for (const h of [hostPart, host === '127.0.0.1' || host === '::1' ? 'localhost' : hostPart]) allowedHosts.add(`${h}:${port}`.toLowerCase());

  const unsubscribe = subscribeEvents(s, (event, payload) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const r of streams) r.write(frame);
  });
  const keepAlive = setInterval(() => streams.forEach((r) => r.write(': keep-alive\n\n')), 15_000);
  keepAlive.unref();

  return {
    url: `${scheme}://${hostPart}:${port}/#token=${token}`,
    token,
    server,
    close: async () => {
      clearInterval(keepAlive);
      unsubscribe();
      for (const r of streams) r.end();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function openEventStream(res: ServerResponse, streams: Set<ServerResponse>): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  res.write(`: ferry events (${EVENT_CHANNELS.join(', ')})\n\n`);
  streams.add(res);
  res.on('close', () => streams.delete(res));
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...extra, 'Content-Type': 'application/json', 'Content-Length': bytes.length, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(bytes);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new UsageError('Content-Type must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new UsageError('Request body too large');
    chunks.push(c);
  }
  try {
    return size === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new UsageError('Request body is not valid JSON');
  }
}
