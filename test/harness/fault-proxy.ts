// A fault-injecting reverse proxy on 127.0.0.1, in front of a real registry (docker-registry) or the
// hub stand-in (hub-server.ts). Every request is forwarded to `target` unless a rule matches; a
// matching rule makes the answer fail in one programmed way, for its first `times` matches:
//
//   { status }          answer this HTTP status (with a small JSON body) without asking the target
//   { resetAfter }      forward the status and headers, send K body bytes, then reset the connection
//   { stallAfter, ms }  send K body bytes, then nothing for `ms` (default: until the client gives up)
//   { truncateAfter }   send K body bytes and end the response cleanly: no Content-Length (chunked)
//   { lieLength }       advertise Content-Length: N and send exactly min(N, real) bytes, then end
//   { corruptAt }       flip the byte at body offset K (size unchanged)
//   { holdAfter, until } send K body bytes, call `onHold`, wait for `until`, then send the rest
//   { rate }            pace the request and response bodies at `rate` bytes per second (slow link)
//
// It counts every response's body bytes per request (`log`), so a test can prove that a resumed
// transfer did not fetch verified content twice. Redirects to the target are rewritten to the proxy.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { status: number }
  | { resetAfter: number }
  | { stallAfter: number; ms?: number }
  | { truncateAfter: number }
  | { lieLength: number }
  | { corruptAt: number }
  | { holdAfter: number; until: Promise<unknown>; onHold?: () => void }
  | { rate: number };

export interface FaultRule {
  /** Substring of (or pattern for) the request path and query. */
  match: string | RegExp;
  /** Only this method (default: GET). */
  method?: string;
  fault: Fault;
  /** The first `times` matching requests get the fault (default: all of them). */
  times?: number;
}

export interface ProxyLogEntry {
  method: string;
  path: string;
  range?: string;
  status: number;
  /** Body bytes sent to the client. */
  bytes: number;
  /** Request body bytes forwarded to the target (uploads). */
  sent: number;
  /** The fault applied, if any. */
  fault?: string;
  /** `proxy.generation` when the request arrived. */
  gen: number;
}

export interface FaultProxy {
  /** 127.0.0.1:PORT */
  host: string;
  /** http://127.0.0.1:PORT */
  url: string;
  log: ProxyLogEntry[];
  /** Stamped on each log entry: set it to tell the runs of a test apart. */
  generation: number;
  /** Adds a rule, checked before the earlier ones; returns a handle whose `hits` counts the requests it faulted. */
  inject(rule: FaultRule): { readonly hits: number; remove(): void };
  /** Removes every rule. */
  heal(): void;
  /** Body bytes sent for requests whose path includes `match` (in generation `gen` when given). */
  bytes(match: string, gen?: number): number;
  /** Body bytes moved so far in both directions, including requests still in flight (for kill points). */
  readonly live: { down: number; up: number };
  stop(): Promise<void>;
}

interface LiveRule extends FaultRule {
  hits: number;
}

const matches = (rule: LiveRule, method: string, path: string): boolean =>
  (rule.method ?? 'GET') === method && (typeof rule.match === 'string' ? path.includes(rule.match) : rule.match.test(path)) && rule.hits < (rule.times ?? Infinity);

const describeFault = (f: Fault): string => Object.entries(f).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k}=${v}`).join(',');

/** Writes `chunk`, waiting for the socket to drain (or close). */
function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    if (res.write(chunk)) return resolve();
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const t = new URL(target);
  const log: ProxyLogEntry[] = [];
  let rules: LiveRule[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let self = '';
  let generation = 1;
  const live = { down: 0, up: 0 };
  const pace = (n: number, rate: number): Promise<void> =>
    new Promise((r) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        r();
      }, (n / rate) * 1000);
      timers.add(timer);
    });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    const entry: ProxyLogEntry = { method, path, ...(req.headers.range ? { range: String(req.headers.range) } : {}), status: 0, bytes: 0, sent: 0, gen: generation };
    const rule = rules.find((r) => matches(r, method, path));
    if (rule) {
      rule.hits++;
      entry.fault = describeFault(rule.fault);
    }
    const fault = rule?.fault;
    if (fault && 'status' in fault) {
      const body = Buffer.from(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `injected HTTP ${fault.status}` }] }));
      entry.status = fault.status;
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json', 'content-length': String(body.length) });
      res.end(method === 'HEAD' ? undefined : body);
      log.push(entry);
      return;
    }
    const up = httpRequest({ host: t.hostname, port: t.port, method, path, headers: { ...req.headers, host: t.host } }, (ures) => {
      const headers = { ...ures.headers };
      if (typeof headers.location === 'string' && headers.location.startsWith(t.origin)) headers.location = self + headers.location.slice(t.origin.length);
      const real = Number(headers['content-length'] ?? NaN);
      if (fault && 'truncateAfter' in fault) delete headers['content-length'];
      if (fault && 'lieLength' in fault) headers['content-length'] = String(fault.lieLength);
      entry.status = ures.statusCode ?? 502;
      res.writeHead(entry.status, headers);
      // Body bytes to send before the fault acts (Infinity: all of them).
      const cut = !fault ? Infinity : 'resetAfter' in fault ? fault.resetAfter : 'stallAfter' in fault ? fault.stallAfter : 'truncateAfter' in fault ? fault.truncateAfter : 'lieLength' in fault ? Math.min(fault.lieLength, Number.isNaN(real) ? Infinity : real) : Infinity;
      void (async () => {
        try {
          for await (const c of ures as AsyncIterable<Buffer>) {
            let chunk = c;
            if (fault && 'corruptAt' in fault && fault.corruptAt >= entry.bytes && fault.corruptAt < entry.bytes + chunk.length) {
              chunk = Buffer.from(chunk);
              chunk[fault.corruptAt - entry.bytes] ^= 0xff;
            }
            if (fault && 'holdAfter' in fault && entry.bytes < fault.holdAfter && entry.bytes + chunk.length >= fault.holdAfter) {
              const head = chunk.subarray(0, fault.holdAfter - entry.bytes);
              entry.bytes += head.length;
              await write(res, head);
              fault.onHold?.();
              await Promise.race([fault.until, new Promise((r) => res.once('close', r))]);
              chunk = chunk.subarray(head.length);
            }
            const room = cut - entry.bytes;
            const part = room < chunk.length ? chunk.subarray(0, Math.max(0, room)) : chunk;
            if (part.length > 0) {
              entry.bytes += part.length;
              live.down += part.length;
              await write(res, part);
              if (fault && 'rate' in fault) await pace(part.length, fault.rate);
            }
            if (res.destroyed || part.length < chunk.length) break;
          }
          if (fault && 'resetAfter' in fault) {
            await new Promise((r) => setImmediate(r));
            res.socket?.resetAndDestroy();
          } else if (fault && 'stallAfter' in fault && entry.bytes >= fault.stallAfter) {
            // Hold the response open; the client's stall timeout (or the proxy's stop) ends it.
            await new Promise<void>((r) => {
              res.once('close', r);
              if (fault.ms !== undefined) {
                const timer = setTimeout(() => {
                  timers.delete(timer);
                  res.destroy();
                  r();
                }, fault.ms);
                timers.add(timer);
              }
            });
          } else if (fault && 'lieLength' in fault && Number.isFinite(real) && fault.lieLength > real) {
            res.destroy(); // fewer bytes than advertised: the connection ends early
          } else res.end();
        } catch {
          res.destroy();
        } finally {
          ures.destroy();
          log.push(entry);
        }
      })();
    });
    up.on('error', () => {
      entry.status = 502;
      log.push(entry);
      res.destroy();
    });
    void (async () => {
      try {
        for await (const c of req as AsyncIterable<Buffer>) {
          entry.sent += c.length;
          live.up += c.length;
          if (!up.write(c)) await new Promise((r) => up.once('drain', r));
          if (fault && 'rate' in fault) await pace(c.length, fault.rate);
        }
        up.end();
      } catch {
        up.destroy();
      }
    })();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  self = `http://${host}`;
  return {
    host,
    url: self,
    log,
    live,
    get generation() {
      return generation;
    },
    set generation(g: number) {
      generation = g;
    },
    inject(rule) {
      const live: LiveRule = { ...rule, hits: 0 };
      rules.unshift(live); // the latest rule wins over earlier ones for the same request
      return {
        get hits() {
          return live.hits;
        },
        remove: () => {
          rules = rules.filter((r) => r !== live);
        },
      };
    },
    heal() {
      rules = [];
    },
    bytes(match, gen) {
      return log.filter((e) => e.path.includes(match) && (gen === undefined || e.gen === gen)).reduce((s, e) => s + e.bytes, 0);
    },
    stop: () =>
      new Promise<void>((r) => {
        for (const timer of timers) clearTimeout(timer);
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
