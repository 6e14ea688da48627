import { createHash } from 'node:crypto';
import { CanceledError, FerryError } from '../../shared/errors';
import type { Descriptor } from './manifest-schema';
import { errorFromResponse, readErrorBody, type ErrorContext } from './registry-errors';
import { header, type RegistryTransport } from './transport';

export interface PushBlobOptions {
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  /** Repository on the same registry that already holds the blob: try a cross-repo mount first. */
  mountFrom?: string;
  /**
   * Blobs larger than this go in PATCH chunks of this size. By default every blob goes in one PUT,
   * one request as docker and skopeo send it: the registry then saves and resumes no hash state
   * between chunks (the reference registry spent ~15% more CPU on 64 MiB chunks).
   */
  chunkSize?: number;
  /**
   * The source proves its own digest as it streams and fails rather than end with other bytes
   * (deliver/verifying-stream.ts): it is not hashed a second time here; its length still is checked.
   */
  sourceProven?: boolean;
}

export type PushBlobResult = 'exists' | 'mounted' | 'uploaded';


/** Hashes and counts what passes through, and hands out exact-size slices of the source. */
class SourceReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private pending: Uint8Array | undefined;
  private done = false;
  readonly hash: ReturnType<typeof createHash> | undefined;
  count = 0;

  constructor(
    source: AsyncIterable<Uint8Array>,
    private readonly opts: PushBlobOptions,
  ) {
    this.it = source[Symbol.asyncIterator]();
    this.hash = opts.sourceProven ? undefined : createHash('sha256');
  }

  /** Yields at most `n` bytes (fewer only if the source ends). */
  async *take(n: number): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (this.opts.signal?.aborted) throw new CanceledError();
      let chunk = this.pending;
      this.pending = undefined;
      if (!chunk) {
        if (this.done) return;
        const r = await this.it.next();
        if (r.done) {
          this.done = true;
          return;
        }
        chunk = r.value;
      }
      if (chunk.byteLength > left) {
        this.pending = chunk.subarray(left);
        chunk = chunk.subarray(0, left);
      }
      left -= chunk.byteLength;
      this.count += chunk.byteLength;
      this.hash?.update(chunk);
      this.opts.onBytes?.(chunk.byteLength);
      yield chunk;
    }
  }

  /** True when the source has no bytes left beyond what was taken. */
  async exhausted(): Promise<boolean> {
    if (this.pending && this.pending.byteLength > 0) return false;
    if (this.done) return true;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return true;
    }
    this.pending = r.value;
    return r.value.byteLength === 0 ? this.exhausted() : false;
  }

  async close(): Promise<void> {
    if (!this.done) await this.it.return?.().catch(() => undefined);
  }
}

function nextLocation(res: Parameters<typeof header>[0], base: URL, ctx: ErrorContext): URL {
  const loc = header(res, 'location');
  if (!loc) throw new FerryError(`${ctx.registry} started an upload to ${ctx.repository} but sent no Location`, 'The registry does not follow the OCI distribution spec.');
  return new URL(loc, base);
}

/**
 * Pushes one blob: HEAD (skip if present), optional cross-repo mount, then a monolithic PUT
 * or chunked PATCHes and a final PUT. The source is hashed as it streams; a local mismatch
 * is reported as such rather than as a registry error.
 */
export async function pushBlob(
  t: RegistryTransport,
  repo: string,
  desc: Descriptor,
  open: () => AsyncIterable<Uint8Array>,
  opts: PushBlobOptions = {},
): Promise<PushBlobResult> {
  const { signal } = opts;
  const scopes = [`repository:${repo}:pull,push`];
  const ctx: ErrorContext = { registry: t.registry, repository: repo, what: 'upload', ref: desc.digest, push: true, hadCredentials: t.auth.hasCredentials };
  const head = await t.send({ method: 'HEAD', url: `/v2/${repo}/blobs/${desc.digest}`, scopes, signal, followRedirects: true });
  await readErrorBody(head.res.body);
  if (head.res.statusCode === 200) return 'exists';
  if (head.res.statusCode !== 404) throw await errorFromResponse(head.res, { ...ctx, what: 'blob' });

  let start: URL = new URL(`/v2/${repo}/blobs/uploads/`, t.origin);
  const postScopes = [...scopes];
  if (opts.mountFrom && opts.mountFrom !== repo) {
    start.searchParams.set('mount', desc.digest);
    start.searchParams.set('from', opts.mountFrom);
    postScopes.push(`repository:${opts.mountFrom}:pull`);
  }
  const post = await t.send({ method: 'POST', url: start, scopes: postScopes, headers: { 'content-length': '0' }, body: Buffer.alloc(0), signal });
  if (post.res.statusCode === 201 && opts.mountFrom) {
    await readErrorBody(post.res.body);
    return 'mounted';
  }
  if (post.res.statusCode !== 202) throw await errorFromResponse(post.res, ctx);
  await readErrorBody(post.res.body);
  let location = nextLocation(post.res, post.url, ctx);

  const chunkSize = Math.max(1, opts.chunkSize ?? Number.MAX_SAFE_INTEGER);
  const src = new SourceReader(open(), opts);
  const checkLocal = async (): Promise<void> => {
    const got = src.hash ? `sha256:${src.hash.copy().digest('hex')}` : desc.digest;
    if (src.count !== desc.size || !(await src.exhausted())) {
      throw new FerryError(`Local content for ${desc.digest} has ${src.count === desc.size ? 'more' : src.count} bytes, expected ${desc.size}`, 'The local copy is corrupt; verify the bundle.');
    }
    if (got !== desc.digest) throw new FerryError(`Local content for ${desc.digest} hashes to ${got}`, 'The local copy is corrupt; verify the bundle.');
  };
  let ok = false;
  try {
    let final: Awaited<ReturnType<RegistryTransport['send']>>;
    const put = (body: AsyncIterable<Uint8Array> | Buffer, length: number) => {
      const u = new URL(location);
      u.searchParams.set('digest', desc.digest);
      return t.send({ method: 'PUT', url: u, scopes, signal, body, headers: { 'content-type': 'application/octet-stream', 'content-length': String(length) } });
    };
    if (desc.size <= chunkSize) {
      try {
        final = await put(src.take(desc.size), desc.size);
      } catch (err) {
        if (src.count !== desc.size && !signal?.aborted) await checkLocal();
        throw err;
      }
      if (final.res.statusCode !== 201) {
        await checkLocal();
      }
    } else {
      for (let offset = 0; offset < desc.size; ) {
        const n = Math.min(chunkSize, desc.size - offset);
        let patch;
        try {
          patch = await t.send({
            method: 'PATCH',
            url: location,
            scopes,
            signal,
            body: src.take(n),
            headers: { 'content-type': 'application/octet-stream', 'content-length': String(n), 'content-range': `${offset}-${offset + n - 1}` },
          });
        } catch (err) {
          if (src.count !== offset + n && !signal?.aborted) await checkLocal();
          throw err;
        }
        if (patch.res.statusCode !== 202) throw await errorFromResponse(patch.res, ctx);
        await readErrorBody(patch.res.body);
        location = nextLocation(patch.res, patch.url, ctx);
        offset += n;
      }
      await checkLocal();
      final = await put(Buffer.alloc(0), 0);
    }
    if (final.res.statusCode !== 201) throw await errorFromResponse(final.res, ctx);
    await readErrorBody(final.res.body);
    const echoed = header(final.res, 'docker-content-digest');
    if (echoed && echoed.startsWith('sha256:') && echoed !== desc.digest) {
      throw new FerryError(`${t.registry} stored ${repo} blob as ${echoed}, expected ${desc.digest}`, 'The registry altered the content; do not trust it.');
    }
    ok = true;
    return 'uploaded';
  } finally {
    await src.close();
    if (!ok) {
      // Best effort: cancel the upload session so the registry can drop partial data.
      await t
        .send({ method: 'DELETE', url: location, scopes })
        .then((r) => readErrorBody(r.res.body))
        .catch(() => undefined);
    }
  }
}
