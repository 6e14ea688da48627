import { createHash, type Hash } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { CanceledError, FerryError } from '../../shared/errors';
import { createProxyDispatcher, proxyConfigured } from '../acquire/proxy';
import { TransientError, withRetry } from '../acquire/retry';
import { IntegrityError, writeVerified } from '../io/verified-write';
import { checkUrlAllowed } from '../registry/http';
import { readBounded } from '../registry/read-bounded';
import { discardBody, networkError, readErrorBody } from '../registry/registry-errors';

// The npm registry protocol, as npm itself uses it: GET <registry>/<name> (a scoped name's "/"
// as %2f) gives the packument; versions[v].dist names the tarball, its integrity (SRI, sha512)
// and sha1 shasum. HTTPS_PROXY/HTTP_PROXY/NO_PROXY are honoured as for registries.

export interface NpmRequest {
  package: string;
  version: string;
  /** Registry URL without a trailing slash. */
  registry: string;
}

export interface NpmPin {
  package: string;
  version: string;
  registry: string;
  tarball: string;
  integrity: string;
  shasum?: string;
  size: number;
}

interface Opts {
  signal?: AbortSignal;
}

const NAME = /^(?:@[a-z0-9-*~][a-z0-9-*._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const MAX_PACKUMENT = 64 << 20;
const MAX_REDIRECTS = 5;
const SRI_ORDER = ['sha512', 'sha384', 'sha256', 'sha1'];

let proxied: Promise<Dispatcher> | undefined;
function dispatcher(): Promise<Dispatcher> | undefined {
  if (!proxyConfigured()) return undefined;
  proxied ??= createProxyDispatcher();
  return proxied;
}

/** The package's packument URL: `<registry>/@scope%2fname`. */
export function packumentUrl(registry: string, name: string): URL {
  if (!NAME.test(name) || name.length > 214) throw new FerryError(`"${name}" is not a valid npm package name`, 'Check npm.package in the recipe, e.g. @gitlab/duo-cli.');
  return new URL(`${registry.replace(/\/+$/, '')}/${name.replace('/', '%2f')}`);
}

/** GET (or HEAD) following up to 5 redirects; every hop obeys the scheme rule (HTTPS, or HTTP to loopback). */
async function send(url: URL, method: 'GET' | 'HEAD', what: string, o: Opts, accept?: string): Promise<Dispatcher.ResponseData> {
  for (let hops = 0; ; hops++) {
    checkUrlAllowed(url);
    if (o.signal?.aborted) throw new CanceledError();
    let res: Dispatcher.ResponseData;
    try {
      const d = await dispatcher();
      res = await request(url, { method, headers: accept ? { accept } : {}, signal: o.signal, ...(d ? { dispatcher: d } : {}) });
    } catch (err) {
      throw networkError(err, url.host, o.signal);
    }
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(res.statusCode) && typeof location === 'string') {
      discardBody(res.body);
      if (hops >= MAX_REDIRECTS) throw new FerryError(`${what}: too many redirects from ${url.host}`, 'The npm registry is misconfigured.');
      url = new URL(location, url);
      continue;
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return res;
    const body = method === 'GET' ? (await readErrorBody(res.body)).slice(0, 200) : (discardBody(res.body), '');
    const msg = `${what}: ${url.host} answered HTTP ${res.statusCode}${body ? ` (${body.replace(/\s+/g, ' ')})` : ''}`;
    if (res.statusCode >= 500 || res.statusCode === 429) throw new TransientError(msg);
    throw new FerryError(msg, res.statusCode === 404 ? 'Check the package name and the npm registry (npm.registry in the recipe, or its npm_registry parameter).' : 'Check the npm registry URL and that it can be reached.');
  }
}

/** The strongest hash of an SRI string (`sha512-… sha1-…`), or undefined. */
export function strongestIntegrity(sri: string): { algorithm: string; digest: string; text: string } | undefined {
  const parts = sri.trim().split(/\s+/).map((t) => /^(sha(?:1|256|384|512))-([A-Za-z0-9+/]+={0,2})(?:\?.*)?$/.exec(t)).filter((m) => m !== null);
  parts.sort((a, b) => SRI_ORDER.indexOf(a[1]!) - SRI_ORDER.indexOf(b[1]!));
  const m = parts[0];
  return m ? { algorithm: m[1]!, digest: m[2]!, text: `${m[1]}-${m[2]}` } : undefined;
}

/** Names of dependencies npm would have to fetch: not listed in bundleDependencies. */
export function unbundledDependencies(pkg: Record<string, unknown>): string[] {
  const names = (v: unknown): string[] => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : []);
  const meta = (pkg.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean } | undefined>;
  const wanted = new Set([...names(pkg.dependencies), ...names(pkg.optionalDependencies), ...names(pkg.peerDependencies).filter((n) => !meta[n]?.optional)]);
  const bundled = pkg.bundleDependencies ?? pkg.bundledDependencies;
  if (bundled === true) return [];
  const have = new Set(Array.isArray(bundled) ? bundled.map(String) : []);
  return [...wanted].filter((n) => !have.has(n)).sort();
}

/**
 * Pins one package version: packument → tarball URL, integrity and size (HEAD). A package whose
 * dependencies are not all bundled is refused: Ferry lays out one package, it does not run npm.
 */
export async function resolveNpmPackage(req: NpmRequest, o: Opts = {}): Promise<NpmPin> {
  const what = `npm package ${req.package}@${req.version}`;
  const url = packumentUrl(req.registry, req.package);
  const packument = await withRetry(async () => {
    const res = await send(url, 'GET', what, o, 'application/json');
    const declared = Number(res.headers['content-length'] ?? 0);
    const body = await readBounded(res.body, declared, MAX_PACKUMENT, { registry: url.host, what: 'manifest', ref: req.package }, o.signal);
    try {
      return JSON.parse(body.toString('utf8')) as { versions?: Record<string, Record<string, unknown>>; 'dist-tags'?: Record<string, string> };
    } catch {
      throw new FerryError(`${what}: the packument from ${url.host} is not JSON`, 'Check that npm.registry points at an npm registry.');
    }
  }, { signal: o.signal });
  const versions = packument.versions ?? {};
  const version = versions[req.version] ? req.version : packument['dist-tags']?.[req.version];
  const manifest = version !== undefined ? versions[version] : undefined;
  if (!manifest || version === undefined) {
    const known = Object.keys(versions).slice(-5).join(', ');
    throw new FerryError(`${what} is not in ${req.registry}`, known ? `Its latest versions there: ${known}.` : 'The registry lists no versions of it.');
  }
  const missing = unbundledDependencies(manifest);
  if (missing.length > 0) {
    throw new FerryError(
      `${req.package}@${version} depends on ${missing.join(', ')}, which it does not bundle`,
      'Ferry only builds images from self-contained npm packages (every dependency in bundleDependencies); use a bundled build of the package, or build the image with Docker.',
    );
  }
  const dist = (manifest.dist ?? {}) as { tarball?: unknown; integrity?: unknown; shasum?: unknown };
  if (typeof dist.tarball !== 'string') throw new FerryError(`${what}: the packument names no tarball`, 'The npm registry answer is incomplete.');
  const shasum = typeof dist.shasum === 'string' && /^[a-f0-9]{40}$/.test(dist.shasum) ? dist.shasum : undefined;
  const sri = typeof dist.integrity === 'string' ? strongestIntegrity(dist.integrity) : undefined;
  const integrity = sri?.text ?? (shasum ? `sha1-${Buffer.from(shasum, 'hex').toString('base64')}` : undefined);
  if (!integrity) throw new FerryError(`${what}: the packument gives no integrity or shasum for the tarball`, 'Ferry only takes packages it can verify.');
  const tarball = new URL(dist.tarball, url);
  const head = await withRetry(() => send(tarball, 'HEAD', `${what} tarball`, o), { signal: o.signal });
  discardBody(head.body);
  const size = Number(head.headers['content-length']);
  if (!Number.isSafeInteger(size) || size <= 0) throw new FerryError(`${what}: ${tarball.host} gives no size for ${tarball.pathname}`, 'The npm registry must answer HEAD on tarballs with Content-Length.');
  return { package: req.package, version, registry: req.registry, tarball: tarball.href, integrity, ...(shasum ? { shasum } : {}), size };
}

/** Passes chunks through, hashing them; throws (before the last chunk is committed) when the integrity differs. */
async function* checked(body: AsyncIterable<Uint8Array>, pin: NpmPin, dest: string): AsyncGenerator<Uint8Array> {
  const sri = strongestIntegrity(pin.integrity)!;
  const hash: Hash = createHash(sri.algorithm);
  for await (const chunk of body) {
    hash.update(chunk);
    yield chunk;
  }
  const got = hash.digest('base64');
  if (got !== sri.digest) throw new IntegrityError(`npm package ${pin.package}@${pin.version}: tarball ${pin.tarball} is ${sri.algorithm}-${got}, not the ${pin.integrity} its registry lists`, dest);
}

/** Downloads the pinned tarball to `dest`, verified against its integrity and size while streaming; `dest` appears only when both match. */
export async function fetchNpmTarball(pin: NpmPin, dest: string, o: Opts & { onBytes?: (n: number) => void } = {}): Promise<void> {
  const what = `npm package ${pin.package}@${pin.version}`;
  await withRetry(
    async () => {
      const res = await send(new URL(pin.tarball), 'GET', `${what} tarball`, o);
      try {
        await writeVerified(checked(res.body as AsyncIterable<Uint8Array>, pin, dest), dest, { size: pin.size }, { signal: o.signal, onBytes: o.onBytes });
      } catch (err) {
        discardBody(res.body);
        if (err instanceof IntegrityError && !err.message.includes(pin.package)) throw new IntegrityError(`${what}: ${err.message}`, dest);
        throw err;
      }
    },
    { signal: o.signal },
  );
}

/** Re-checks a tarball already on disk (an earlier run's) against its integrity. */
export function integrityMatches(pin: NpmPin, bytes: Buffer): boolean {
  const sri = strongestIntegrity(pin.integrity);
  return sri !== undefined && createHash(sri.algorithm).update(bytes).digest('base64') === sri.digest;
}
