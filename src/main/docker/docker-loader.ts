import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Transform, pipeline, type Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { CanceledError, FerryError, UsageError } from '../../shared/errors';
import { planDockerArchive, streamDockerArchive, type ArchivePlan, type PlanOptions } from './docker-archive';

/** Loads images from an OCI layout into a Docker engine (`docker load` of a docker-archive), then tags them. */

export interface LoadRequest {
  manifestDigest: string;
  /** e.g. `127.0.0.1:5002/duo/busybox:1.0` or `busybox:1.0` (no tag means `latest`). */
  tag: string;
}

export interface LoadOptions extends PlanOptions {
  signal?: AbortSignal;
  /** Called with the number of archive bytes sent to the engine after each chunk. */
  onBytes?: (n: number) => void;
  /** Called once the archive is planned (its exact size known), before a byte is sent. */
  onPlan?: (plan: ArchivePlan) => void;
}

export interface LoadedImage {
  tag: string;
  /** The engine's image ID; always equals the image's config digest. */
  imageId: string;
}

export const ENGINE_HINT = 'start Docker, or set DOCKER_HOST / --docker-host';
const PING_TIMEOUT_MS = 15_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;

const DOMAIN = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?`;
const COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const REPO_RE = new RegExp(String.raw`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Splits `host:port/path/name:tag` into repo and tag; rejects digests and malformed names. */
export function splitTag(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  const hasTag = colon > ref.lastIndexOf('/');
  const repo = hasTag ? ref.slice(0, colon) : ref;
  const tag = hasTag ? ref.slice(colon + 1) : 'latest';
  if (ref.includes('@') || ref.length > 255 || !REPO_RE.test(repo) || !TAG_RE.test(tag)) {
    throw new UsageError(`Invalid image tag ${JSON.stringify(ref.slice(0, 300))}`, 'use [registry[:port]/]name[:tag] with a lowercase name');
  }
  return { repo, tag };
}

/**
 * A Docker client for `host` (or DOCKER_HOST, else the platform's default socket):
 * `unix:///path`, a bare `/path`, `npipe:////./pipe/name`, or `tcp://host:port`
 * (TLS when DOCKER_TLS_VERIFY is set, certs from DOCKER_CERT_PATH or ~/.docker).
 */
export function dockerFromEnv(host: string | undefined = process.env.DOCKER_HOST): Dockerode {
  // Start-up: dockerode (with ssh2 and grpc) loads when a client is made, not with this module (test/unit/cli-lazy.test.ts).
  const Docker = require('dockerode') as typeof Dockerode;
  const h = host?.trim();
  if (!h) return new Docker({ socketPath: process.platform === 'win32' ? '//./pipe/docker_engine' : '/var/run/docker.sock' });
  if (h.startsWith('unix://')) return new Docker({ socketPath: h.slice('unix://'.length) });
  if (h.startsWith('/')) return new Docker({ socketPath: h });
  if (h.startsWith('npipe://')) return new Docker({ socketPath: h.slice('npipe:'.length) });
  const m = /^(tcp|http|https):\/\/([^/:]+|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?\/?$/.exec(h);
  if (!m) throw new UsageError(`Unsupported Docker host ${JSON.stringify(h)}`, 'use unix:///path/to/docker.sock or tcp://HOST:PORT');
  const tlsVerify = (process.env.DOCKER_TLS_VERIFY ?? '') !== '';
  const tls = m[1] === 'https' || tlsVerify;
  const opts: Dockerode.DockerOptions = {
    protocol: tls ? 'https' : 'http',
    host: m[2]!.replace(/^\[|\]$/g, ''),
    port: Number(m[3] ?? (tls ? 2376 : 2375)),
  };
  if (tls) {
    const dir = process.env.DOCKER_CERT_PATH || join(homedir(), '.docker');
    const read = (f: string): Buffer | undefined => (existsSync(join(dir, f)) ? readFileSync(join(dir, f)) : undefined);
    Object.assign(opts, { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') });
  }
  return new Docker(opts);
}

function engineName(docker: Dockerode): string {
  const o = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
  if (typeof o.socketPath === 'string') return o.socketPath;
  return `${String(o.protocol ?? 'http')}://${String(o.host)}:${String(o.port)}`;
}

async function ping(docker: Dockerode, signal?: AbortSignal): Promise<void> {
  const timeout = AbortSignal.timeout(PING_TIMEOUT_MS);
  const abortSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    await (docker.ping as (opts: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal });
  } catch (err) {
    if (signal?.aborted) throw new CanceledError();
    throw new FerryError(`Cannot reach the Docker engine at ${engineName(docker)}: ${(err as Error).message}`, ENGINE_HINT);
  }
}

/** Reads docker load's JSON-lines answer; an `error`/`errorDetail` line becomes a FerryError. */
async function readLoadResponse(res: NodeJS.ReadableStream): Promise<string[]> {
  let text = '';
  for await (const chunk of res as AsyncIterable<Buffer | string>) {
    text += chunk.toString();
    if (text.length > MAX_RESPONSE_BYTES) throw new FerryError('docker load: the engine sent an oversized response');
  }
  const loaded: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    let msg: { error?: unknown; errorDetail?: { message?: unknown }; stream?: unknown };
    try {
      msg = JSON.parse(line);
    } catch {
      continue;
    }
    if (msg.error !== undefined || msg.errorDetail !== undefined) {
      const detail = msg.errorDetail?.message ?? msg.error;
      throw new FerryError(`docker load failed: ${String(detail).slice(0, 2000)}`, 'Nothing was tagged; check the engine log and the bundle.');
    }
    const id = typeof msg.stream === 'string' ? /Loaded image ID: (sha256:[a-f0-9]{64})/.exec(msg.stream)?.[1] : undefined;
    if (id) loaded.push(id);
  }
  return loaded;
}

/**
 * Pings the engine, streams a docker-archive of the requested images into `docker load`,
 * and tags each image only once every image has loaded with the expected ID (its config
 * digest). A missing blob fails before anything reaches the engine; a blob whose bytes do not
 * match its digest fails the archive mid-stream (its entry never completes, manifest.json is
 * never sent), the load is aborted, and nothing is tagged.
 */
export async function loadIntoDocker(
  docker: Dockerode,
  layoutDir: string,
  images: LoadRequest[],
  opts: LoadOptions = {},
): Promise<LoadedImage[]> {
  const { signal, onBytes } = opts;
  if (signal?.aborted) throw new CanceledError();
  const tags = images.map((i) => splitTag(i.tag));
  await ping(docker, signal);
  const plan = await planDockerArchive(layoutDir, images.map((i) => ({ manifestDigest: i.manifestDigest, repoTags: [] })), { manifests: opts.manifests, labelPrefix: opts.labelPrefix });
  opts.onPlan?.(plan);

  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let archiveError: unknown;
  const archive = streamDockerArchive(plan, ac.signal);
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });
  const body: Readable = pipeline(archive, counter, (err) => {
    if (err && !ac.signal.aborted) {
      archiveError = err;
      ac.abort();
    }
  });
  try {
    if (signal?.aborted) throw new CanceledError();
    let res: NodeJS.ReadableStream;
    try {
      res = await docker.loadImage(body, { quiet: true, abortSignal: ac.signal });
      await readLoadResponse(res);
    } catch (err) {
      if (signal?.aborted) throw new CanceledError();
      if (archiveError instanceof FerryError) throw archiveError;
      if (archiveError) throw new FerryError(`Reading the OCI layout failed: ${(archiveError as Error).message}`);
      if (err instanceof FerryError) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? '';
      const lost = ['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE'].includes(code);
      throw new FerryError(`docker load failed: ${(err as Error).message}`, lost ? ENGINE_HINT : 'Nothing was tagged; check the engine log.');
    }
    if (archiveError) throw archiveError;

    // Every image must be present under its config digest before any tag is applied.
    for (const p of plan.images) {
      const info = await docker.getImage(p.configDigest).inspect().catch(() => undefined);
      if (info?.Id !== p.configDigest) {
        throw new FerryError(`docker load did not produce image ${p.configDigest} (manifest ${p.manifestDigest})`);
      }
    }
    const out: LoadedImage[] = [];
    for (const [i, img] of images.entries()) {
      if (signal?.aborted) throw new CanceledError();
      const configDigest = plan.images.find((p) => p.manifestDigest === img.manifestDigest)!.configDigest;
      await docker.getImage(configDigest).tag({ repo: tags[i]!.repo, tag: tags[i]!.tag });
      const info = await docker.getImage(img.tag).inspect();
      if (info.Id !== configDigest) throw new FerryError(`${img.tag} resolves to ${info.Id}, expected ${configDigest}`);
      out.push({ tag: img.tag, imageId: configDigest });
    }
    return out;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!body.destroyed) body.destroy();
  }
}
