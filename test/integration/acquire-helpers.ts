// Helpers for the recipe/acquire integration tests: small stand-in images pushed over the
// distribution API under their real repository paths, and a loopback reverse proxy that counts
// requests and bytes per path and can stall a response after N bytes until released.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export interface Blob {
  digest: string;
  size: number;
  bytes: Buffer;
  mediaType: string;
}

export interface StandIn {
  manifest: Buffer;
  digest: string;
  mediaType: string;
  blobs: Blob[];
}

export function blob(bytes: Buffer, mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip'): Blob {
  return { digest: sha(bytes), size: bytes.length, bytes, mediaType };
}

/** An image whose layers are the given bytes (not runnable; enough to resolve and acquire). */
export function standIn(layers: Blob[], opts: { arch?: string; label?: string; mediaType?: string; configMediaType?: string } = {}): StandIn {
  const config = blob(Buffer.from(JSON.stringify({ architecture: opts.arch ?? 'amd64', os: 'linux', config: { Labels: { label: opts.label ?? '' } }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } })), opts.configMediaType ?? 'application/vnd.oci.image.config.v1+json');
  const mediaType = opts.mediaType ?? OCI_MANIFEST;
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: { mediaType: config.mediaType, digest: config.digest, size: config.size }, layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })) }));
  return { manifest, digest: sha(manifest), mediaType, blobs: [config, ...layers] };
}

export const randomLayer = (size: number): Blob => blob(randomBytes(size));

async function expectStatus(res: Response, want: number[], what: string): Promise<void> {
  if (!want.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
}

export async function pushBlob(host: string, repo: string, b: Blob): Promise<void> {
  const head = await fetch(`http://${host}/v2/${repo}/blobs/${b.digest}`, { method: 'HEAD' });
  if (head.status === 200) return;
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await expectStatus(start, [202], `upload to ${repo}`);
  const loc = new URL(start.headers.get('location')!, `http://${host}`);
  loc.searchParams.set('digest', b.digest);
  const put = await fetch(loc, { method: 'PUT', body: b.bytes, headers: { 'content-type': 'application/octet-stream' } });
  await expectStatus(put, [201], `blob ${b.digest} to ${repo}`);
}

export async function pushManifest(host: string, repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<void> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body: bytes, headers: { 'content-type': mediaType } });
  await expectStatus(res, [201], `manifest ${repo}:${ref}`);
}

export async function pushStandIn(host: string, repo: string, tags: string[], img: StandIn): Promise<void> {
  for (const b of img.blobs) await pushBlob(host, repo, b);
  for (const t of tags) await pushManifest(host, repo, t, img.manifest, img.mediaType);
}

/** A multi-platform index over images already pushed to `repo`. */
export async function pushIndex(host: string, repo: string, tag: string, entries: { img: StandIn; arch: string }[]): Promise<string> {
  for (const e of entries) await pushStandIn(host, repo, [], e.img), await pushManifest(host, repo, e.img.digest, e.img.manifest, e.img.mediaType);
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries.map((e) => ({ mediaType: e.img.mediaType, digest: e.img.digest, size: e.img.manifest.length, platform: { os: 'linux', architecture: e.arch } })) }));
  await pushManifest(host, repo, tag, index, OCI_INDEX);
  return sha(index);
}

export interface Logged {
  method: string;
  path: string;
  range?: string;
  status: number;
  bytes: number;
  /** `proxy.generation` when the request arrived: tells the runs of a test apart. */
  gen: number;
}

export interface Stall {
  /** Resolves once `bytes` of the matching response have been sent. */
  reached: Promise<void>;
  release(): void;
}

export interface CountingProxy {
  /** host:port */
  host: string;
  url: string;
  log: Logged[];
  generation: number;
  stallAfter(pathIncludes: string, bytes: number): Stall;
  stop(): Promise<void>;
}

/** A reverse proxy on 127.0.0.1 in front of `target` (http://host:port); rewrites redirects back to itself. */
export async function countingProxy(target: string): Promise<CountingProxy> {
  const t = new URL(target);
  const log: Logged[] = [];
  const stalls: { match: string; bytes: number; hit: boolean; reached: () => void; released: Promise<void> }[] = [];
  let self = '';
  // eslint-disable-next-line prefer-const
  let proxy: CountingProxy;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const entry: Logged = { method: req.method ?? 'GET', path, ...(req.headers.range ? { range: String(req.headers.range) } : {}), status: 0, bytes: 0, gen: proxy.generation };
    // Absolute-form requests (this proxy used as HTTP_PROXY) go where they name; others to `target`.
    const abs = path.startsWith('http://') ? new URL(path) : undefined;
    const to = abs ?? t;
    const up = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: abs ? abs.pathname + abs.search : path, headers: { ...req.headers, host: to.host } }, (ures) => {
      const headers = { ...ures.headers };
      if (typeof headers.location === 'string' && headers.location.startsWith(t.origin)) headers.location = self + headers.location.slice(t.origin.length);
      res.writeHead(ures.statusCode ?? 502, headers);
      entry.status = ures.statusCode ?? 0;
      const stall = req.method === 'GET' && (ures.statusCode === 200 || ures.statusCode === 206) ? stalls.find((s) => !s.hit && path.includes(s.match)) : undefined;
      if (stall) stall.hit = true;
      void (async () => {
        try {
          for await (const chunk of ures as AsyncIterable<Buffer>) {
            let c = chunk;
            if (stall && entry.bytes < stall.bytes && entry.bytes + c.length >= stall.bytes) {
              const head = c.subarray(0, stall.bytes - entry.bytes);
              entry.bytes += head.length;
              await new Promise<void>((r) => res.write(head, () => r()));
              stall.reached();
              await Promise.race([stall.released, new Promise((r) => res.once('close', r))]);
              c = c.subarray(head.length);
            }
            if (res.destroyed) break;
            entry.bytes += c.length;
            if (!res.write(c)) {
              await new Promise<void>((r) => {
                const done = (): void => {
                  res.off('drain', done);
                  res.off('close', done);
                  r();
                };
                res.on('drain', done);
                res.on('close', done);
              });
            }
          }
          res.end();
        } catch {
          res.destroy();
        } finally {
          ures.destroy();
          log.push(entry);
        }
      })();
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  self = `http://${host}`;
  proxy = {
    generation: 1,
    host,
    url: self,
    log,
    stallAfter(match, bytes) {
      let reached!: () => void;
      let release!: () => void;
      const p = new Promise<void>((r) => (reached = r));
      const released = new Promise<void>((r) => (release = r));
      stalls.push({ match, bytes, hit: false, reached, released });
      return { reached: p, release };
    },
    stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
  return proxy;
}

const ROOT = resolve(__dirname, '../..');

/** Starts the built CLI without waiting, for tests that kill it. */
export function spawnFerry(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'ferry.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((r) => child.on('close', (code, signal) => r({ code, signal, stdout, stderr })));
  return { child, done };
}
