import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { FerryError } from '../../shared/errors';
import { unbundledDependencies } from './npm-package';

// An npm package tarball turned into one image layer, laid out as `npm install --global` lays
// it out under prefix /usr/local: lib/node_modules/<name>/… (the tarball's first path part
// stripped, as pacote does; only files and folders taken) and bin/<bin> symlinks to each bin
// entry, whose target is made executable. File modes follow pacote: (mode | 0666) & ~022 | 0600.
// Deterministic: entries sorted, uid/gid 0, fixed mtime, gzip header without time and OS byte fixed.

export const NPM_PREFIX = 'usr/local';
const MTIME = new Date('1985-10-26T08:15:00Z'); // the date `npm pack` gives every entry
const MAX_UNPACKED = 1 << 30;
const MAX_ENTRIES = 200_000;

export interface NpmLayer {
  /** The layer tar, uncompressed (its sha256 is the diff_id). */
  tar: Buffer;
  /** The gzip'd layer blob. */
  gz: Buffer;
  diffId: string;
  digest: string;
  /** bin name → path inside the package. */
  bins: Record<string, string>;
  packageJson: Record<string, unknown>;
}

interface Entry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  data?: Buffer;
  linkname?: string;
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A tarball path with its first part stripped and checked; undefined for the package root itself. */
function packagePath(name: string, pkg: string): string | undefined {
  const parts = name.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.').slice(1);
  if (parts.length === 0) return undefined;
  if (parts.includes('..') || /^[A-Za-z]:/.test(parts[0]!)) throw new FerryError(`npm package ${pkg}: tarball entry "${name}" leaves the package folder`, 'The package is malformed or hostile; do not use it.');
  if (parts.some((p) => p.startsWith('.wh.'))) throw new FerryError(`npm package ${pkg}: tarball entry "${name}" is named like an image whiteout (.wh.)`, 'Such a name would delete files of the base image; the package cannot be carried as a layer.');
  return parts.join('/');
}

async function readTarball(tgz: Buffer, pkg: string): Promise<{ files: Map<string, { mode: number; data: Buffer }>; dirs: Set<string> }> {
  const files = new Map<string, { mode: number; data: Buffer }>();
  const dirs = new Set<string>();
  const extract = tar.extract();
  let total = 0;
  let count = 0;
  const reading = (async () => {
    for await (const e of extract) {
      const h = e.header;
      const chunks: Buffer[] = [];
      for await (const c of e) {
        total += (c as Buffer).length;
        if (total > MAX_UNPACKED) throw new FerryError(`npm package ${pkg} unpacks to more than ${MAX_UNPACKED} bytes`, 'Ferry refuses packages this large.');
        chunks.push(c as Buffer);
      }
      if (++count > MAX_ENTRIES) throw new FerryError(`npm package ${pkg} has more than ${MAX_ENTRIES} entries`, 'Ferry refuses packages this large.');
      const path = packagePath(h.name, pkg);
      if (path === undefined) continue;
      if (h.type === 'directory') dirs.add(path);
      else if (h.type === 'file' || h.type === 'contiguous-file') files.set(path, { mode: h.mode ?? 0o644, data: Buffer.concat(chunks) });
      // Links and devices are skipped, as npm skips them.
    }
  })();
  try {
    await Promise.all([pipeline(Readable.from([tgz]), createGunzip(), extract), reading]);
  } catch (err) {
    if (err instanceof FerryError) throw err;
    throw new FerryError(`npm package ${pkg}: the tarball cannot be unpacked: ${(err as Error).message}`, 'The tarball is damaged; resolve again.');
  }
  return { files, dirs };
}

/** `bin` as npm normalises it: a string names one bin after the package; names are base names; targets stay inside. */
export function packageBins(pkg: Record<string, unknown>, name: string): Record<string, string> {
  const raw = typeof pkg.bin === 'string' ? { [name.split('/').pop()!]: pkg.bin } : pkg.bin && typeof pkg.bin === 'object' ? (pkg.bin as Record<string, unknown>) : {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const binName = posix.basename(k.replace(/\\/g, '/'));
    const target = typeof v === 'string' ? posix.normalize(`/${v.replace(/\\/g, '/')}`).slice(1) : '';
    if (!binName || binName === '.' || binName === '..' || !target || target.startsWith('..')) continue;
    out[binName] = target;
  }
  return out;
}

function header(e: Entry): Partial<tar.Header> & { name: string } {
  const base = { name: e.path, mtime: MTIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
  if (e.type === 'directory') return { ...base, name: `${e.path}/`, type: 'directory', mode: e.mode };
  if (e.type === 'symlink') return { ...base, type: 'symlink', mode: 0o777, linkname: e.linkname! };
  return { ...base, type: 'file', mode: e.mode, size: e.data!.length };
}

async function packTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const done = (async () => {
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (e.type === 'file') pack.entry(header(e), e.data!, cb);
      else pack.entry(header(e), cb);
    });
  }
  pack.finalize();
  return done;
}

/** gzip with a fixed header: no name, mtime 0, OS byte 3 (Unix) whatever the platform. */
export function deterministicGzip(data: Buffer): Buffer {
  const gz = gzipSync(data, { level: 6 });
  gz.writeUInt32LE(0, 4);
  gz[9] = 3;
  return gz;
}

/**
 * Lays out a (verified) package tarball as `npm install --global <name>@<version>` would, as
 * one layer. The tarball's package.json must name that package and version and bundle every
 * dependency; each bin target must be a file of the package.
 */
export async function npmLayer(tgz: Buffer, want: { package: string; version: string }): Promise<NpmLayer> {
  const id = `${want.package}@${want.version}`;
  const { files, dirs } = await readTarball(tgz, id);
  const pj = files.get('package.json');
  if (!pj) throw new FerryError(`npm package ${id}: the tarball has no package/package.json`, 'The tarball is not an npm package.');
  let packageJson: Record<string, unknown>;
  try {
    packageJson = JSON.parse(pj.data.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new FerryError(`npm package ${id}: package.json in the tarball is not JSON`, 'The tarball is damaged.');
  }
  if (packageJson.name !== want.package || packageJson.version !== want.version) {
    throw new FerryError(`npm package ${id}: the tarball's package.json says ${String(packageJson.name)}@${String(packageJson.version)}`, 'The registry served another package than it listed; treat it as untrusted.');
  }
  const missing = unbundledDependencies(packageJson);
  if (missing.length > 0) throw new FerryError(`${id} depends on ${missing.join(', ')}, which it does not bundle`, 'Ferry only builds images from self-contained npm packages (every dependency in bundleDependencies).');
  const bins = packageBins(packageJson, want.package);
  for (const [bin, target] of Object.entries(bins)) {
    if (!files.has(target)) throw new FerryError(`npm package ${id}: bin "${bin}" points at ${target}, which the package does not contain`, 'The package is broken; choose another version.');
  }

  const root = `${NPM_PREFIX}/lib/node_modules/${want.package}`;
  const entries = new Map<string, Entry>();
  const addDirs = (path: string): void => {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!entries.has(d)) entries.set(d, { path: d, type: 'directory', mode: 0o755 });
    }
  };
  const execs = new Set(Object.values(bins));
  for (const d of dirs) addDirs(`${root}/${d}/x`);
  addDirs(`${root}/x`);
  for (const [p, f] of files) {
    const path = `${root}/${p}`;
    addDirs(path);
    const mode = (((f.mode | 0o666) & ~0o022) | (execs.has(p) ? 0o111 : 0) | 0o600) & 0o7777 & ~0o6000;
    entries.set(path, { path, type: 'file', mode, data: f.data });
  }
  for (const [bin, target] of Object.entries(bins)) {
    const path = `${NPM_PREFIX}/bin/${bin}`;
    addDirs(path);
    entries.set(path, { path, type: 'symlink', mode: 0o777, linkname: `../lib/node_modules/${want.package}/${target}` });
  }
  const sorted = [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const layerTar = await packTar(sorted);
  const gz = deterministicGzip(layerTar);
  return { tar: layerTar, gz, diffId: sha256(layerTar), digest: sha256(gz), bins, packageJson };
}
