// A loopback stand-in for an npm registry, speaking the protocol npm uses:
//
//   GET       /<name>            packument (a scoped name's "/" may come as %2f or %2F)
//   GET|HEAD  /<name>/-/<base>-<version>.tgz   the tarball, with Content-Length
//
// Tarballs are built like `npm pack` (entries under package/, gzip), and the packument lists
// their real sha512 integrity and sha1 shasum. `tamper` corrupts one byte of a tarball on the
// wire (same size), so integrity checks can be exercised.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

export interface NpmFile {
  content: string | Buffer;
  mode?: number;
}

export interface NpmPackageSpec {
  name: string;
  version: string;
  /** Files besides package.json, by path inside the package (e.g. bin/duo.js). */
  files: Record<string, string | Buffer | NpmFile>;
  /** Extra package.json fields: bin, dependencies, bundleDependencies, … */
  manifest?: Record<string, unknown>;
}

export interface NpmRegistry {
  url: string;
  /** `METHOD /path` of every request, in arrival order. */
  requests: string[];
  tarball(name: string, version: string): { bytes: Buffer; integrity: string; shasum: string; url: string };
  tamper(name: string, version: string, enabled?: boolean): void;
  stop(): Promise<void>;
}

const MTIME = new Date('1985-10-26T08:15:00Z');

/** A package tarball as `npm pack` makes it: package/package.json first, then the files. */
export async function makeNpmTarball(spec: NpmPackageSpec): Promise<Buffer> {
  const pack = tar.pack();
  const done = (async () => {
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  })();
  const pkgJson = JSON.stringify({ name: spec.name, version: spec.version, ...spec.manifest }, null, 2);
  pack.entry({ name: 'package/package.json', mode: 0o644, mtime: MTIME }, pkgJson);
  for (const [path, f] of Object.entries(spec.files)) {
    const file = typeof f === 'string' || Buffer.isBuffer(f) ? { content: f } : f;
    pack.entry({ name: `package/${path}`, mode: file.mode ?? 0o644, mtime: MTIME }, Buffer.from(file.content));
  }
  pack.finalize();
  return gzipSync(await done);
}

const basename = (name: string): string => name.split('/').pop()!;

export async function startNpmRegistry(opts: { packages: NpmPackageSpec[] }): Promise<NpmRegistry> {
  const tarballs = new Map<string, { bytes: Buffer; integrity: string; shasum: string; path: string; tampered: boolean }>();
  const packuments = new Map<string, { spec: NpmPackageSpec; versions: string[] }>();
  for (const spec of opts.packages) {
    const bytes = await makeNpmTarball(spec);
    const path = `/${spec.name}/-/${basename(spec.name)}-${spec.version}.tgz`;
    tarballs.set(`${spec.name}@${spec.version}`, {
      bytes,
      integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
      shasum: createHash('sha1').update(bytes).digest('hex'),
      path,
      tampered: false,
    });
    const p = packuments.get(spec.name) ?? { spec, versions: [] };
    p.versions.push(spec.version);
    packuments.set(spec.name, p);
  }
  const requests: string[] = [];
  let origin = '';

  const packument = (name: string): Buffer => {
    const versions: Record<string, unknown> = {};
    for (const spec of opts.packages.filter((s) => s.name === name)) {
      const t = tarballs.get(`${name}@${spec.version}`)!;
      versions[spec.version] = { name, version: spec.version, ...spec.manifest, dist: { tarball: `${origin}${t.path}`, integrity: t.integrity, shasum: t.shasum } };
    }
    const vs = packuments.get(name)!.versions;
    return Buffer.from(JSON.stringify({ name, 'dist-tags': { latest: vs[vs.length - 1] }, versions }));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push(`${req.method} ${path}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
    const t = [...tarballs.values()].find((x) => x.path === path);
    if (t) {
      let body = t.bytes;
      if (t.tampered) {
        body = Buffer.from(t.bytes);
        body[body.length >> 1]! ^= 0xff;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      return void res.end(req.method === 'HEAD' ? undefined : body);
    }
    const name = path.slice(1);
    if (packuments.has(name)) {
      const body = packument(name);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      return void res.end(req.method === 'HEAD' ? undefined : body);
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    requests,
    tarball(name, version) {
      const t = tarballs.get(`${name}@${version}`);
      if (!t) throw new Error(`no tarball ${name}@${version}`);
      return { bytes: t.bytes, integrity: t.integrity, shasum: t.shasum, url: `${origin}${t.path}` };
    },
    tamper(name, version, enabled = true) {
      const t = tarballs.get(`${name}@${version}`);
      if (!t) throw new Error(`no tarball ${name}@${version}`);
      t.tampered = enabled;
    },
    stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** The stand-in for @gitlab/duo-cli: a tiny self-contained package with a `duo` bin. */
export function duoCliStandIn(version = '8.86.0'): NpmPackageSpec {
  return {
    name: '@gitlab/duo-cli',
    version,
    manifest: { bin: { duo: 'bin/duo.js' }, engines: { node: '>=20' } },
    files: {
      'bin/duo.js': { content: `#!/usr/bin/env node\nconsole.log('duo ${version}');\n`, mode: 0o644 },
      'dist/index.js': `module.exports = { version: '${version}' };\n`,
      'README.md': '# duo-cli stand-in\n',
    },
  };
}
