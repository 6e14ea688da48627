import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { requireTool } from './require-tool';

/**
 * Runnable test images built without pulling anything: a busybox-static rootfs as the base
 * layer, and a second image that adds /srv/hello.txt and an httpd config on top of the same
 * base layer. Written as a standard OCI image layout. Deterministic: same busybox binary,
 * same digests.
 */

export interface TestImage {
  /** The `org.opencontainers.image.ref.name` in index.json, e.g. `busybox:1.0`. */
  name: string;
  manifestDigest: string;
  configDigest: string;
  /** Compressed layer digests, base first. */
  layers: string[];
}

export interface FileSpec {
  path: string;
  type?: 'file' | 'directory' | 'symlink';
  content?: string | Buffer;
  mode?: number;
  linkname?: string;
}

export interface ImageSpec {
  name: string;
  /** Uncompressed layer tars, base first (see `makeLayerTar`). */
  layers: Buffer[];
  cmd: string[];
  env?: string[];
  exposedPorts?: string[];
}

export const HELLO_TEXT = 'hello from ferry\n';
export const HTTPD_PORT = 8080;
const MTIME = new Date('2024-01-01T00:00:00Z');
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const APPLETS = ['sh', 'echo', 'cat', 'ls', 'httpd', 'wget', 'sleep', 'true', 'false', 'env', 'id'];

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A deterministic uncompressed tar (uid/gid 0, fixed mtime) of the given entries, in order. */
export async function makeLayerTar(files: FileSpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const done = (async () => {
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  })();
  for (const f of files) {
    const type = f.type ?? 'file';
    const base = { name: f.path, type, mtime: MTIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
    if (type === 'directory') pack.entry({ ...base, mode: f.mode ?? 0o755 });
    else if (type === 'symlink') pack.entry({ ...base, mode: 0o777, linkname: f.linkname ?? '' });
    else pack.entry({ ...base, mode: f.mode ?? 0o644 }, Buffer.from(f.content ?? ''));
  }
  pack.finalize();
  return done;
}

function writeBlob(layoutDir: string, data: Buffer | string): { digest: string; size: number } {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const digest = sha256(buf);
  writeFileSync(join(layoutDir, 'blobs', 'sha256', digest.slice(7)), buf);
  return { digest, size: buf.length };
}

function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };
  return map[process.arch] ?? process.arch;
}

function readIndex(layoutDir: string): { manifests: { digest: string; annotations?: Record<string, string> }[] } {
  try {
    return JSON.parse(readFileSync(join(layoutDir, 'index.json'), 'utf8'));
  } catch {
    return { manifests: [] };
  }
}

/**
 * Adds one image (gzip'd layers, OCI config and manifest) to the layout at `layoutDir`,
 * creating the layout if needed, and records it in index.json under `spec.name`.
 */
export function writeOciImage(layoutDir: string, spec: ImageSpec): TestImage {
  mkdirSync(join(layoutDir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(layoutDir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const layerDescs = spec.layers.map((raw) => ({
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    ...writeBlob(layoutDir, gzipSync(raw, { level: 6 })),
  }));
  const config = {
    created: MTIME.toISOString(),
    architecture: goArch(),
    os: 'linux',
    config: {
      Env: spec.env ?? [PATH_ENV],
      Cmd: spec.cmd,
      ...(spec.exposedPorts ? { ExposedPorts: Object.fromEntries(spec.exposedPorts.map((p) => [p, {}])) } : {}),
    },
    rootfs: { type: 'layers', diff_ids: spec.layers.map((raw) => sha256(raw)) },
    history: spec.layers.map(() => ({ created: MTIME.toISOString(), created_by: 'ferry test-images' })),
  };
  const configDesc = { mediaType: 'application/vnd.oci.image.config.v1+json', ...writeBlob(layoutDir, JSON.stringify(config)) };
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: configDesc,
    layers: layerDescs,
  };
  const manifestDesc = writeBlob(layoutDir, JSON.stringify(manifest));
  const index = readIndex(layoutDir);
  const others = index.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] !== spec.name);
  const entry = {
    mediaType: manifest.mediaType,
    ...manifestDesc,
    annotations: { 'org.opencontainers.image.ref.name': spec.name },
  };
  const newIndex = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [...others, entry] };
  writeFileSync(join(layoutDir, 'index.json'), JSON.stringify(newIndex));
  return {
    name: spec.name,
    manifestDigest: manifestDesc.digest,
    configDigest: configDesc.digest,
    layers: layerDescs.map((l) => l.digest),
  };
}

/** The busybox-static rootfs: /bin/busybox, applet symlinks, /etc/passwd, /etc/group, /tmp. */
export async function makeBusyboxLayer(): Promise<Buffer> {
  const busybox = readFileSync(requireTool('busybox', 'busybox-static'));
  const files: FileSpec[] = [
    { path: 'bin/', type: 'directory' },
    { path: 'bin/busybox', content: busybox, mode: 0o755 },
    ...APPLETS.map((a): FileSpec => ({ path: `bin/${a}`, type: 'symlink', linkname: 'busybox' })),
    { path: 'etc/', type: 'directory' },
    { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
    { path: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
    { path: 'root/', type: 'directory', mode: 0o700 },
    { path: 'tmp/', type: 'directory', mode: 0o1777 },
  ];
  return makeLayerTar(files);
}

/**
 * Builds `busybox:1.0` (one layer, Cmd sh) and `hello:1.0` (same base layer plus /srv and
 * /etc/httpd.conf, Cmd httpd on HTTPD_PORT) into an OCI layout at `<dir>/layout`.
 */
export async function buildTestImages(dir: string): Promise<{ layoutDir: string; images: TestImage[] }> {
  const layoutDir = join(dir, 'layout');
  const base = await makeBusyboxLayer();
  const hello = await makeLayerTar([
    { path: 'srv/', type: 'directory' },
    { path: 'srv/hello.txt', content: HELLO_TEXT },
    { path: 'srv/health', content: 'ok\n' },
    { path: 'etc/', type: 'directory' },
    { path: 'etc/httpd.conf', content: 'H:/srv\n' },
  ]);
  const images = [
    writeOciImage(layoutDir, { name: 'busybox:1.0', layers: [base], cmd: ['/bin/sh'] }),
    writeOciImage(layoutDir, {
      name: 'hello:1.0',
      layers: [base, hello],
      cmd: ['/bin/httpd', '-f', '-v', '-p', String(HTTPD_PORT), '-c', '/etc/httpd.conf', '-h', '/srv'],
      exposedPorts: [`${HTTPD_PORT}/tcp`],
    }),
  ];
  return { layoutDir, images };
}

export interface PushOptions {
  /** `user:password` for the destination registry. */
  creds?: string;
  /** Directory with ca.crt (and client certs) for a TLS registry; enables TLS verification. */
  certDir?: string;
}

/**
 * Pushes every image named in the layout's index.json with `skopeo copy` (independent of
 * Ferry's own client) to `registryHost/repoPrefix/<name>`, preserving digests. Returns the
 * pushed references and the manifest digest the registry reports.
 */
export async function pushTestImages(
  layoutDir: string,
  registryHost: string,
  repoPrefix: string,
  opts: PushOptions = {},
): Promise<{ ref: string; digest: string }[]> {
  const run = promisify(execFile);
  const skopeo = requireTool('skopeo', 'skopeo');
  const tls = opts.certDir ? ['--dest-cert-dir', opts.certDir] : ['--dest-tls-verify=false'];
  const creds = opts.creds ? ['--dest-creds', opts.creds] : [];
  const out: { ref: string; digest: string }[] = [];
  for (const m of readIndex(layoutDir).manifests) {
    const name = m.annotations?.['org.opencontainers.image.ref.name'];
    if (!name) continue;
    const ref = `${registryHost}/${repoPrefix.replace(/\/+$/, '')}/${name}`;
    const args = ['copy', '--quiet', '--insecure-policy', '--preserve-digests', ...tls, ...creds, `oci:${layoutDir}:${name}`, `docker://${ref}`];
    await run(skopeo, args).catch((err: { stderr?: string; message: string }) => {
      throw new Error(`pushTestImages: skopeo copy to ${ref} failed: ${err.stderr || err.message}`);
    });
    const inspectTls = opts.certDir ? ['--cert-dir', opts.certDir] : ['--tls-verify=false'];
    const inspectCreds = opts.creds ? ['--creds', opts.creds] : [];
    const { stdout: raw } = await run(skopeo, ['inspect', '--raw', ...inspectTls, ...inspectCreds, `docker://${ref}`], {
      encoding: 'buffer',
      maxBuffer: 8 << 20,
    });
    const digest = sha256(raw);
    if (digest !== m.digest) throw new Error(`pushTestImages: ${ref} has digest ${digest} in the registry, expected ${m.digest}`);
    out.push({ ref, digest });
  }
  return out;
}
