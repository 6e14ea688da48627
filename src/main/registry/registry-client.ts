import { createHash } from 'node:crypto';
import { writeVerified } from '../io/verified-write';
import { CanceledError, FerryError } from '../../shared/errors';
import { withRetry } from '../acquire/retry';
import { pushBlob, type PushBlobOptions, type PushBlobResult } from './blob-upload';
import type { Credentials } from './auth';
import { DOCKER_MANIFEST, MANIFEST_ACCEPT, OCI_INDEX, isImageConfigMediaType, isImageManifestMediaType, isIndexMediaType } from './media-types';
import { detectManifestMediaType, parseImageManifest, parseIndex, toDescriptor, type Descriptor } from './manifest-schema';
import { readBounded } from './read-bounded';
import { platformOfConfig } from './config-platform';
import { DEFAULT_PLATFORM, formatPlatform, parsePlatform, selectPlatformManifest } from './platform';
import { assertRepository, assertTagOrDigest, DIGEST_RE, formatReference, isDigest, type ImageReference } from './reference';
import { discardBody, errorFromResponse, networkError, readErrorBody, type ErrorContext } from './registry-errors';
import { listCatalog, listTags } from './tag-list';
import { header, RegistryTransport } from './transport';

export type { Descriptor } from './manifest-schema';
export type { PushBlobOptions, PushBlobResult } from './blob-upload';

export interface RegistryClientOptions {
  /** host[:port] (an explicit http:// or https:// prefix is honoured under the scheme rule). */
  registry: string;
  /** Plain HTTP is allowed for this registry. */
  insecure?: boolean;
  /** PEM CA certificate for a registry with a private/self-signed CA. */
  caFile?: string;
  credentials?: Credentials;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  /** sha256 of exactly `bytes`. */
  digest: string;
}

export interface ResolvedImage {
  index?: FetchedManifest;
  manifest: FetchedManifest;
  config: Descriptor;
  layers: Descriptor[];
  /** The config's bytes, when they were read (single-platform images), verified. */
  configBytes?: Buffer;
  /** os/arch[/variant] of the chosen manifest. */
  platform: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A response body as chunks; transport failures become FerryErrors naming the host. */
async function* streamBody(body: AsyncIterable<unknown>, host: string, signal?: AbortSignal): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of body) yield chunk as Uint8Array;
  } catch (err) {
    throw signal?.aborted ? new CanceledError() : networkError(err, host, signal);
  } finally {
    discardBody(body);
  }
}

function assertDescriptor(desc: Descriptor): void {
  if (!DIGEST_RE.test(desc.digest)) throw new FerryError(`Invalid digest "${desc.digest}"`, 'Digests are sha256:<64 lowercase hex>.');
  if (!Number.isSafeInteger(desc.size) || desc.size < 0) throw new FerryError(`Invalid size ${desc.size} for ${desc.digest}`);
}

/** A hand-written OCI distribution client for one registry. */
export class RegistryClient {
  private readonly t: RegistryTransport;

  constructor(readonly options: RegistryClientOptions) {
    this.t = new RegistryTransport(options);
  }

  /** host[:port] as normalised (lowercase, no scheme). */
  get registry(): string {
    return this.t.registry;
  }

  async close(): Promise<void> {
    await this.t.close();
  }

  private ctx(repo: string, what: ErrorContext['what'], ref?: string, push = false): ErrorContext {
    return { registry: this.t.registry, repository: repo, what, ref, push, hadCredentials: this.t.auth.hasCredentials };
  }

  /** Fetches a manifest or index; bytes are bounded and, when asked by digest, verified. */
  async getManifest(repo: string, tagOrDigest: string, opts: RequestOptions = {}): Promise<FetchedManifest> {
    assertRepository(repo);
    assertTagOrDigest(tagOrDigest);
    const ctx = this.ctx(repo, 'manifest', tagOrDigest);
    const { res } = await this.t.send({
      method: 'GET',
      url: `/v2/${repo}/manifests/${tagOrDigest}`,
      scopes: [`repository:${repo}:pull`],
      headers: { accept: MANIFEST_ACCEPT },
      signal: opts.signal,
      followRedirects: true,
    });
    if (res.statusCode !== 200) throw await errorFromResponse(res, ctx);
    const bytes = await readBounded(res.body, Number(header(res, 'content-length') ?? -1), MAX_MANIFEST_BYTES, ctx, opts.signal);
    const digest = sha256(bytes);
    const where = `${this.t.registry}/${repo}`;
    if (isDigest(tagOrDigest) && digest !== tagOrDigest) {
      throw new FerryError(`${where}: manifest ${tagOrDigest} has content with digest ${digest}`, 'The registry served different bytes than requested; do not trust it.');
    }
    const echoed = header(res, 'docker-content-digest');
    if (echoed?.startsWith('sha256:') && echoed !== digest) {
      throw new FerryError(`${where}:${tagOrDigest}: Docker-Content-Digest ${echoed} does not match the bytes (${digest})`, 'The registry or a proxy altered the manifest; do not trust it.');
    }
    return { bytes, digest, mediaType: detectManifestMediaType(res.headers['content-type'], bytes, `${where}:${tagOrDigest}`) };
  }

  /** Resolves a tag or digest to one platform's manifest, config and layers. */
  async resolveImage(ref: ImageReference, platform?: string, opts: RequestOptions = {}): Promise<ResolvedImage> {
    const want = parsePlatform(platform ?? DEFAULT_PLATFORM);
    const repo = ref.repository;
    const where = formatReference(ref);
    const top = await this.getManifest(repo, ref.digest ?? ref.tag ?? 'latest', opts);
    let index: FetchedManifest | undefined;
    let manifest = top;
    let chosen: string | undefined;
    if (isIndexMediaType(top.mediaType)) {
      index = top;
      const idx = parseIndex(top.bytes, where);
      const desc = selectPlatformManifest(idx.manifests.map(toDescriptor), want, where);
      if (!isImageManifestMediaType(desc.mediaType)) {
        throw new FerryError(`${where}: the ${formatPlatform(desc.platform!)} entry is a ${desc.mediaType}, not an image manifest`, 'Nested indexes are not supported.');
      }
      manifest = await this.getManifest(repo, desc.digest, opts);
      if (manifest.bytes.byteLength !== desc.size) {
        throw new FerryError(`${where}: manifest ${desc.digest} is ${manifest.bytes.byteLength} bytes, the index says ${desc.size}`, 'The registry content is inconsistent.');
      }
      chosen = formatPlatform(desc.platform!);
    } else if (!isImageManifestMediaType(manifest.mediaType)) {
      throw new FerryError(`${where}: ${manifest.mediaType} is not an image manifest`, 'Ferry handles OCI and Docker v2 images and indexes.');
    }
    const m = parseImageManifest(manifest.bytes, where);
    const config = toDescriptor(m.config);
    const layers = m.layers.map(toDescriptor);
    // A single-platform image names its platform in its config only; the verified bytes are returned too.
    const configBytes = chosen === undefined && isImageConfigMediaType(config.mediaType) ? await this.getBlob(repo, config, MAX_CONFIG_BYTES, opts) : undefined;
    chosen ??= configBytes ? platformOfConfig(configBytes, config.digest, where, platform !== undefined ? want : undefined) : 'unknown';
    return { ...(index ? { index } : {}), manifest, config, layers, ...(configBytes ? { configBytes } : {}), platform: chosen };
  }

  /**
   * The OCI referrers API (`GET /v2/<name>/referrers/<digest>`): the index of manifests whose
   * subject is `digest`, or undefined when the registry does not offer the API (404/400/405).
   */
  async getReferrers(repo: string, digest: string, opts: RequestOptions = {}): Promise<Buffer | undefined> {
    assertRepository(repo);
    assertDescriptor({ mediaType: '', digest, size: 0 });
    const ctx = this.ctx(repo, 'manifest', `referrers/${digest}`);
    const { res } = await this.t.send({ method: 'GET', url: `/v2/${repo}/referrers/${digest}`, scopes: [`repository:${repo}:pull`], headers: { accept: OCI_INDEX }, signal: opts.signal, followRedirects: true });
    if (res.statusCode === 404 || res.statusCode === 400 || res.statusCode === 405) {
      await readErrorBody(res.body);
      return undefined;
    }
    if (res.statusCode !== 200) throw await errorFromResponse(res, ctx);
    return readBounded(res.body, Number(header(res, 'content-length') ?? -1), MAX_MANIFEST_BYTES, ctx, opts.signal);
  }

  /** HEAD on a blob: true if the repository has it. */
  async blobExists(repo: string, digest: string, opts: RequestOptions = {}): Promise<boolean> {
    assertRepository(repo);
    assertDescriptor({ mediaType: '', digest, size: 0 });
    const { res } = await this.t.send({ method: 'HEAD', url: `/v2/${repo}/blobs/${digest}`, scopes: [`repository:${repo}:pull`], signal: opts.signal, followRedirects: true });
    if (res.statusCode === 200) {
      await readErrorBody(res.body);
      return true;
    }
    if (res.statusCode === 404) {
      await readErrorBody(res.body);
      return false;
    }
    throw await errorFromResponse(res, this.ctx(repo, 'blob', digest));
  }

  /** Opens a blob for streaming (redirects to storage backends followed, no credentials sent there). Not verified: see downloadBlob. */
  async openBlob(repo: string, desc: Descriptor, opts: RequestOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    return (await this.openBlobAt(repo, desc, 0, opts)).body;
  }

  /** Opens a blob from byte `offset` (HTTP Range); `start` is where the body begins: 0 when the server ignored the range. */
  async openBlobAt(repo: string, desc: Descriptor, offset: number, opts: RequestOptions = {}): Promise<{ body: AsyncIterable<Uint8Array>; start: number }> {
    assertRepository(repo);
    assertDescriptor(desc);
    const headers = offset > 0 ? { range: `bytes=${offset}-` } : undefined;
    const { res, url } = await this.t.send({ method: 'GET', url: `/v2/${repo}/blobs/${desc.digest}`, scopes: [`repository:${repo}:pull`], headers, signal: opts.signal, followRedirects: true });
    const where = `${this.t.registry}/${repo}: blob ${desc.digest}`, range = header(res, 'content-range') ?? '';
    const start = res.statusCode === 206 && offset > 0 ? Number(/^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(range)?.[1] ?? NaN) : 0;
    if (res.statusCode !== 200 && res.statusCode !== 206) throw await errorFromResponse(res, this.ctx(repo, 'blob', desc.digest));
    const len = Number(header(res, 'content-length') ?? desc.size - start);
    if (start !== (res.statusCode === 206 ? offset : 0) || len !== desc.size - start) {
      discardBody(res.body);
      throw new FerryError(`${where}: expected ${desc.size - offset} bytes from offset ${offset}, the server sends ${len} (HTTP ${res.statusCode}${range ? ` ${range}` : ''})`, 'The registry, storage backend or a proxy serves different content than the manifest says.');
    }
    return { body: streamBody(res.body, url.host, opts.signal), start };
  }

  /** Every tag of `repo`, across `Link` pages. */
  listTags(repo: string, opts: RequestOptions & { pageSize?: number } = {}): Promise<string[]> {
    return listTags(this.t, this.ctx(repo, 'ping'), repo, opts);
  }

  /** Every repository in the registry (`/v2/_catalog`), across `Link` pages. */
  listRepositories(opts: RequestOptions & { pageSize?: number } = {}): Promise<string[]> {
    return listCatalog(this.t, this.ctx('', 'ping'), opts);
  }

  /** Reads a small blob (config) into memory, bounded and verified. */
  async getBlob(repo: string, desc: Descriptor, maxBytes: number, opts: RequestOptions = {}): Promise<Buffer> {
    const ctx = this.ctx(repo, 'blob', desc.digest);
    if (desc.size > maxBytes) throw new FerryError(`${this.t.registry}/${repo}: blob ${desc.digest} is ${desc.size} bytes, more than the ${maxBytes} allowed here`, 'The image is unusual or hostile.');
    const buf = await readBounded(await this.openBlob(repo, desc, opts), desc.size, maxBytes, ctx, opts.signal);
    if (buf.byteLength !== desc.size || sha256(buf) !== desc.digest) {
      throw new FerryError(`${this.t.registry}/${repo}: blob ${desc.digest} content does not match its digest`, 'The registry served corrupt content; retry, and if it persists treat the source as untrusted.');
    }
    return buf;
  }

  /** Streams a blob to `destPath` via writeVerified: hashed while streaming, `.tmp` then rename. */
  async downloadBlob(repo: string, desc: Descriptor, destPath: string, opts: { signal?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<void> {
    const body = await this.openBlob(repo, desc, opts);
    await writeVerified(body, destPath, { sha256: desc.digest.slice('sha256:'.length), size: desc.size }, opts);
  }

  /** Pushes a blob unless present: HEAD, optional mount, monolithic PUT or chunked PATCH. */
  async pushBlob(repo: string, desc: Descriptor, open: () => AsyncIterable<Uint8Array>, opts: PushBlobOptions = {}): Promise<PushBlobResult> {
    assertRepository(repo);
    assertDescriptor(desc);
    if (opts.mountFrom) assertRepository(opts.mountFrom);
    // A 5xx/429 or a dropped connection is retried with backoff; each try starts with a HEAD, so a blob an earlier try completed is not sent again.
    return withRetry(() => pushBlob(this.t, repo, desc, open, opts), { signal: opts.signal });
  }

  /** PUTs manifest bytes unchanged (so the digest is preserved); returns the digest. */
  async putManifest(repo: string, tagOrDigest: string, bytes: Buffer, mediaType: string, opts: RequestOptions = {}): Promise<string> {
    assertRepository(repo);
    assertTagOrDigest(tagOrDigest);
    if (bytes.byteLength > MAX_MANIFEST_BYTES) throw new FerryError(`Manifest for ${repo} is larger than ${MAX_MANIFEST_BYTES} bytes`, 'Registries reject manifests this large.');
    const digest = sha256(bytes);
    if (isDigest(tagOrDigest) && tagOrDigest !== digest) {
      throw new FerryError(`Manifest bytes hash to ${digest}, not ${tagOrDigest}`, 'The local manifest is corrupt; verify the bundle.');
    }
    const ctx = this.ctx(repo, 'manifest', tagOrDigest, true);
    const { res } = await this.t.send({
      method: 'PUT',
      url: `/v2/${repo}/manifests/${tagOrDigest}`,
      scopes: [`repository:${repo}:pull,push`],
      headers: { 'content-type': mediaType || DOCKER_MANIFEST },
      body: bytes,
      signal: opts.signal,
    });
    if (res.statusCode !== 201 && res.statusCode !== 200) throw await errorFromResponse(res, ctx);
    await readErrorBody(res.body);
    const echoed = header(res, 'docker-content-digest');
    if (echoed?.startsWith('sha256:') && echoed !== digest) {
      throw new FerryError(`${this.t.registry}/${repo}: registry stored the manifest as ${echoed}, expected ${digest}`, 'The registry rewrote the manifest; its digest would not match the bundle.');
    }
    return digest;
  }
}
