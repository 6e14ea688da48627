import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import dc from 'node:diagnostics_channel';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../src/shared/errors';
import { OciLayout } from '../../src/main/oci/layout';
import { parseWwwAuthenticate } from '../../src/main/registry/auth';
import { checkUrlAllowed, resolveOrigin } from '../../src/main/registry/http';
import { OCI_CONFIG, OCI_INDEX, OCI_LAYER_GZIP, OCI_MANIFEST } from '../../src/main/registry/media-types';
import { parseReference } from '../../src/main/registry/reference';
import { RegistryClient, type Descriptor } from '../../src/main/registry/registry-client';
import { freePort } from '../harness/ports';
import { startRegistry, type TestRegistry } from '../harness/registry';
import { requireTool } from '../harness/require-tool';
import { tempDir } from '../harness/temp';

const run = promisify(execFile);
const USER = { username: 'ferry', password: 'correct horse battery' };
const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

// ---- request log (undici diagnostics channel): proves which requests were, or were not, sent
interface Seen {
  method: string;
  origin: string;
  path: string;
}
const seen: Seen[] = [];
const onCreate = (msg: unknown) => {
  const r = (msg as { request: Seen }).request;
  seen.push({ method: r.method, origin: String(r.origin), path: r.path });
};
function requestsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; requests: Seen[] }> {
  const start = seen.length;
  return fn().then((value) => ({ value, requests: seen.slice(start) }));
}

// ---- synthetic images
interface Blob {
  bytes: Buffer;
  desc: Descriptor;
}
function blob(bytes: Buffer, mediaType: string): Blob {
  return { bytes, desc: { mediaType, digest: sha(bytes), size: bytes.length } };
}
async function* pieces(buf: Buffer, size = 50_000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}
interface PlatformImage {
  platform: { os: string; architecture: string; variant?: string };
  config: Blob;
  layers: Blob[];
  manifest: Blob;
}
function buildImage(shared: Blob, os: string, architecture: string, variant?: string): PlatformImage {
  const own = blob(randomBytes(200_000 + Math.floor(Math.random() * 1000)), OCI_LAYER_GZIP);
  const layers = [shared, own];
  const config = blob(
    Buffer.from(JSON.stringify({ architecture, os, ...(variant ? { variant } : {}), rootfs: { type: 'layers', diff_ids: layers.map((l) => l.desc.digest) }, config: {} })),
    OCI_CONFIG,
  );
  const manifest = blob(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: config.desc, layers: layers.map((l) => l.desc) })), OCI_MANIFEST);
  return { platform: { os, architecture, ...(variant ? { variant } : {}) }, config, layers, manifest };
}
const shared = blob(randomBytes(300_000), OCI_LAYER_GZIP);
const amd64 = buildImage(shared, 'linux', 'amd64');
const arm64 = buildImage(shared, 'linux', 'arm64', 'v8');
const index = blob(
  Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [amd64, arm64].map((i) => ({ ...i.manifest.desc, platform: i.platform })) }), 'utf8'),
  OCI_INDEX,
);
const allBlobs = [shared, ...[amd64, arm64].flatMap((i) => [i.layers[1]!, i.config])];

async function pushAll(client: RegistryClient, repo: string, tag: string): Promise<string[]> {
  const results: string[] = [];
  for (const b of allBlobs) results.push(await client.pushBlob(repo, b.desc, () => pieces(b.bytes)));
  for (const img of [amd64, arm64]) await client.putManifest(repo, img.manifest.desc.digest, img.manifest.bytes, OCI_MANIFEST);
  expect(await client.putManifest(repo, tag, index.bytes, OCI_INDEX)).toBe(index.desc.digest);
  return results;
}

async function rejection(p: Promise<unknown>): Promise<FerryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FerryError);
  return err as FerryError;
}

// ---- tiny loopback HTTP servers for the cases a real registry cannot produce
async function fakeServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const srv = createServer(handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

let source: TestRegistry;
let internal: TestRegistry;
let src: RegistryClient;
let dst: RegistryClient;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  requireTool('skopeo', 'skopeo');
  dc.subscribe('undici:request:create', onCreate);
  [source, internal] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: USER })]);
  src = new RegistryClient({ registry: source.host });
  dst = new RegistryClient({ registry: internal.host, caFile: internal.caFile, credentials: USER });
  cleanups.push(() => src.close(), () => dst.close(), () => source.stop(), () => internal.stop());
});

afterAll(async () => {
  dc.unsubscribe('undici:request:create', onCreate);
  for (const c of cleanups.reverse()) await c();
});

describe('RegistryClient against docker-registry', () => {
  it('pushes a two-platform image to the plain source and resolves each platform', async () => {
    expect(await pushAll(src, 'team/app', '1')).toEqual(allBlobs.map(() => 'uploaded'));

    const ref = parseReference(`${source.host}/team/app:1`);
    const arm = await src.resolveImage(ref, 'linux/arm64');
    expect(arm.platform).toBe('linux/arm64/v8');
    expect(arm.index?.digest).toBe(index.desc.digest);
    expect(arm.index?.mediaType).toBe(OCI_INDEX);
    expect(arm.manifest.digest).toBe(arm64.manifest.desc.digest);
    expect(arm.manifest.bytes.equals(arm64.manifest.bytes)).toBe(true);
    expect(arm.config).toEqual(arm64.config.desc);
    expect(arm.layers).toEqual(arm64.layers.map((l) => l.desc));

    const def = await src.resolveImage(ref);
    expect(def.platform).toBe('linux/amd64');
    expect(def.manifest.digest).toBe(amd64.manifest.desc.digest);

    // by digest: single manifest, platform from its config
    const single = await src.resolveImage(parseReference(`${source.host}/team/app@${arm64.manifest.desc.digest}`), 'linux/arm64');
    expect(single.index).toBeUndefined();
    expect(single.platform).toBe('linux/arm64/v8');
    const wrong = await rejection(src.resolveImage(parseReference(`${source.host}/team/app@${arm64.manifest.desc.digest}`), 'linux/amd64'));
    expect(wrong.message).toMatch(/single-platform image for linux\/arm64\/v8/);

    const none = await rejection(src.resolveImage(ref, 'linux/s390x'));
    expect(none.message).toContain('available: linux/amd64, linux/arm64/v8');
  });

  it('skopeo sees the same manifest digest on the plain source', async () => {
    const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${source.host}/team/app:1`], { encoding: 'buffer' });
    expect(sha(stdout)).toBe(index.desc.digest);
  });

  it('copies source → internal (TLS + htpasswd) by streaming blobs, and skopeo agrees', async () => {
    for (const b of allBlobs) {
      const r = await dst.pushBlob('team/app', b.desc, () => ({ [Symbol.asyncIterator]: async function* () { yield* await src.openBlob('team/app', b.desc); } }));
      expect(r).toBe('uploaded');
    }
    for (const img of [amd64, arm64]) {
      const m = await src.getManifest('team/app', img.manifest.desc.digest);
      expect(await dst.putManifest('team/app', m.digest, m.bytes, m.mediaType)).toBe(img.manifest.desc.digest);
    }
    const top = await src.getManifest('team/app', '1');
    expect(await dst.putManifest('team/app', '1', top.bytes, top.mediaType)).toBe(index.desc.digest);

    const certDir = tempDir('ferry-certs-');
    cleanups.push(certDir.cleanup);
    copyFileSync(internal.caFile!, join(certDir.path, 'ca.crt'));
    const { stdout } = await run('skopeo', ['inspect', '--raw', '--cert-dir', certDir.path, '--creds', `${USER.username}:${USER.password}`, `docker://${internal.host}/team/app:1`], {
      encoding: 'buffer',
    });
    expect(sha(stdout)).toBe(index.desc.digest);
    const arm = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', `${USER.username}:${USER.password}`, `docker://${internal.host}/team/app@${arm64.manifest.desc.digest}`], {
      encoding: 'buffer',
    });
    expect(sha(arm.stdout)).toBe(arm64.manifest.desc.digest);
  });

  it('re-pushing what the registry has costs only HEAD requests', async () => {
    const { value, requests } = await requestsDuring(async () => {
      const out: string[] = [];
      for (const b of allBlobs) out.push(await dst.pushBlob('team/app', b.desc, () => pieces(b.bytes)));
      return out;
    });
    expect(value).toEqual(allBlobs.map(() => 'exists'));
    expect(requests.map((r) => r.method)).toEqual(allBlobs.map(() => 'HEAD'));
  });

  it('uploads large blobs in PATCH chunks with Content-Range', async () => {
    const big = blob(randomBytes(1_000_000), OCI_LAYER_GZIP);
    let reported = 0;
    const { value, requests } = await requestsDuring(() =>
      dst.pushBlob('team/chunked', big.desc, () => pieces(big.bytes, 70_001), { chunkSize: 256 * 1024, onBytes: (n) => (reported += n) }),
    );
    expect(value).toBe('uploaded');
    expect(reported).toBe(big.bytes.length);
    expect(requests.filter((r) => r.method === 'PATCH')).toHaveLength(4);
    expect(requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
    expect(await dst.blobExists('team/chunked', big.desc.digest)).toBe(true);
    const out = tempDir('ferry-dl-');
    cleanups.push(out.cleanup);
    await dst.downloadBlob('team/chunked', big.desc, join(out.path, 'big'));
    expect(readFileSync(join(out.path, 'big')).equals(big.bytes)).toBe(true);
  });

  it('mounts across repositories, and falls back to upload when the source repo lacks the blob', async () => {
    const { value, requests } = await requestsDuring(() => dst.pushBlob('other/app', shared.desc, () => pieces(shared.bytes), { mountFrom: 'team/app' }));
    expect(value).toBe('mounted');
    expect(requests.some((r) => r.method === 'PUT' || r.method === 'PATCH')).toBe(false);
    expect(await dst.blobExists('other/app', shared.desc.digest)).toBe(true);

    const fresh = blob(randomBytes(10_000), OCI_LAYER_GZIP);
    expect(await dst.pushBlob('other/app', fresh.desc, () => pieces(fresh.bytes), { mountFrom: 'team/app' })).toBe('uploaded');
  });

  it('reports local content that does not match its descriptor', async () => {
    const b = blob(randomBytes(5000), OCI_LAYER_GZIP);
    const wrong = Buffer.from(b.bytes);
    wrong[0] = wrong[0]! ^ 0xff;
    const e1 = await rejection(dst.pushBlob('team/bad', b.desc, () => pieces(wrong)));
    expect(e1.message).toMatch(/Local content .* hashes to/);
    const e2 = await rejection(dst.pushBlob('team/bad', b.desc, () => pieces(b.bytes.subarray(0, 4000))));
    expect(e2.message).toMatch(/Local content/);
    const e3 = await rejection(dst.pushBlob('team/bad', b.desc, () => pieces(wrong), { chunkSize: 1024 }));
    expect(e3.message).toMatch(/hashes to/);
    expect(await dst.blobExists('team/bad', b.desc.digest)).toBe(false);
  });

  it('downloadBlob leaves neither file nor .tmp when the registry serves corrupt or short content', async () => {
    const out = tempDir('ferry-dl-');
    cleanups.push(out.cleanup);
    const victim = amd64.layers[1]!;
    const hex = victim.desc.digest.slice(7);
    const stored = join(source.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    expect(statSync(stored).size).toBe(victim.desc.size);

    const good = join(out.path, 'good');
    await src.downloadBlob('team/app', victim.desc, good);
    expect(sha(readFileSync(good))).toBe(victim.desc.digest);

    // the descriptor says another size than the registry serves
    const dest = join(out.path, 'layer');
    const e0 = await rejection(src.downloadBlob('team/app', { ...victim.desc, size: victim.desc.size - 1 }, dest));
    expect(e0.message).toMatch(/expected/);
    expect(existsSync(dest) || existsSync(`${dest}.tmp`)).toBe(false);

    // same length, flipped byte
    const corrupt = Buffer.from(victim.bytes);
    corrupt[1000] = corrupt[1000]! ^ 0xff;
    writeFileSync(stored, corrupt);
    const e1 = await rejection(src.downloadBlob('team/app', victim.desc, dest));
    expect(e1.name).toBe('IntegrityError');
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.tmp`)).toBe(false);

    // short
    writeFileSync(stored, victim.bytes.subarray(0, 1000));
    const e2 = await rejection(src.downloadBlob('team/app', victim.desc, dest));
    expect(e2.message).toMatch(/expected|bytes/);
    writeFileSync(stored, victim.bytes);

    // canceled mid-stream
    const ac = new AbortController();
    const e3 = await rejection(src.downloadBlob('team/app', victim.desc, dest, { signal: ac.signal, onBytes: () => ac.abort() }));
    expect(e3.name).toBe('CanceledError');
    expect(readdirSync(out.path).sort()).toEqual(['good']);
  });

  it('explains auth failures, untrusted TLS and refused connections', async () => {
    const bad = new RegistryClient({ registry: internal.host, caFile: internal.caFile, credentials: { username: USER.username, password: 'wrong' } });
    const anon = new RegistryClient({ registry: internal.host, caFile: internal.caFile });
    const noCa = new RegistryClient({ registry: internal.host });
    const port = await freePort();
    const refused = new RegistryClient({ registry: `127.0.0.1:${port}` });
    cleanups.push(() => bad.close(), () => anon.close(), () => noCa.close(), () => refused.close());

    const e1 = await rejection(bad.getManifest('team/app', '1'));
    expect(e1.message).toMatch(/Authentication failed .*team\/app:1.*401/);
    expect(e1.hint).toMatch(/check credentials/i);
    const e2 = await rejection(anon.getManifest('team/app', '1'));
    expect(e2.message).toMatch(/Authentication required/);
    const e3 = await rejection(noCa.getManifest('team/app', '1'));
    // 127.0.0.1 without --ca defaults to plain HTTP; the TLS server says so.
    expect(e3.hint).toMatch(/--ca/);
    const noCaHttps = new RegistryClient({ registry: `https://${internal.host}` });
    cleanups.push(() => noCaHttps.close());
    const e4 = await rejection(noCaHttps.getManifest('team/app', '1'));
    expect(e4.message).toMatch(/TLS certificate/);
    expect(e4.hint).toContain('--ca FILE');
    const e5 = await rejection(refused.getManifest('team/app', '1'));
    expect(e5.message).toContain(`127.0.0.1:${port}`);
    expect(e5.hint).toContain(`127.0.0.1:${port}`);
    const e6 = await rejection(dst.getManifest('team/app', 'nope'));
    expect(e6.hint).toMatch(/image not found: check the repository name and the tag/i);
  });

  it('refuses plain HTTP to a non-loopback host without contacting it', async () => {
    const { requests } = await requestsDuring(async () => {
      expect(() => new RegistryClient({ registry: 'http://registry.example.com:5000' })).toThrow(/Refusing plain HTTP to registry.example.com:5000/);
      // allowed only when named insecure
      const named = new RegistryClient({ registry: 'http://registry.example.com:5000', insecure: true });
      await named.close();
      // a bare name defaults to https
      const https = new RegistryClient({ registry: 'registry.example.com' });
      await https.close();
    });
    expect(requests).toEqual([]);
    expect(resolveOrigin({ registry: 'registry.example.com' }).origin).toBe('https://registry.example.com');
    expect(resolveOrigin({ registry: 'registry.example.com:5000', insecure: true }).origin).toBe('http://registry.example.com:5000');
    // A pure mapping (Docker Hub's API host); nothing is contacted, as `requests` above shows.
    expect(resolveOrigin({ registry: 'docker.io' }).origin).toBe('https://registry-1.docker.io');
    expect(resolveOrigin({ registry: '127.0.0.1:5000' }).origin).toBe('http://127.0.0.1:5000');
    expect(resolveOrigin({ registry: '127.0.0.1:5000', caFile: '/ca.pem' }).origin).toBe('https://127.0.0.1:5000');
    expect(resolveOrigin({ registry: 'https://localhost:5000' }).origin).toBe('https://localhost:5000');
    expect(() => checkUrlAllowed(new URL('http://storage.example.com/x'))).toThrow(/Refusing/);
    expect(() => checkUrlAllowed(new URL('http://127.0.0.5:1/x'))).not.toThrow();
    expect(() => checkUrlAllowed(new URL('file:///etc/passwd'))).toThrow(/unsupported scheme/);
  });

  it('writes an OCI layout that skopeo reads, with shared layers stored once', async () => {
    const out = tempDir('ferry-layout-');
    cleanups.push(out.cleanup);
    const layout = await OciLayout.create(out.path);
    const ref = parseReference(`${source.host}/team/app:1`);
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const img = await src.resolveImage(ref, platform);
      for (const d of [img.config, ...img.layers]) {
        if (!(await layout.hasBlob(d.digest, d.size))) await src.downloadBlob('team/app', d, layout.blobPath(d.digest));
      }
      const m = await layout.putBlobBytes(img.manifest.bytes, img.manifest.mediaType);
      expect(m.digest).toBe(img.manifest.digest);
      await layout.addImage(`team/app:1-${platform.split('/')[1]}`, m);
      if (img.index) await layout.addImage('team/app:1', await layout.putBlobBytes(img.index.bytes, img.index.mediaType));
    }
    // 1 shared + 2 own layers + 2 configs + 2 manifests + 1 index
    expect(readdirSync(join(out.path, 'blobs', 'sha256'))).toHaveLength(8);

    const { stdout } = await run('skopeo', ['inspect', `oci:${out.path}:team/app:1-arm64`]);
    const info = JSON.parse(stdout) as { Digest: string; Architecture: string; Layers: string[] };
    expect(info.Digest).toBe(arm64.manifest.desc.digest);
    expect(info.Architecture).toBe('arm64');
    expect(info.Layers).toEqual(arm64.layers.map((l) => l.desc.digest));
    const raw = await run('skopeo', ['inspect', '--raw', `oci:${out.path}:team/app:1`], { encoding: 'buffer' });
    expect(sha(raw.stdout)).toBe(index.desc.digest);

    const reopened = await OciLayout.open(out.path);
    expect((await reopened.images()).map((i) => i.refName).sort()).toEqual(['team/app:1', 'team/app:1-amd64', 'team/app:1-arm64']);
  });
});

describe('auth and redirects (loopback fakes)', () => {
  it('parses WWW-Authenticate challenges', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.example.org/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.example.org/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
    expect(parseWwwAuthenticate('Basic realm="a, b", Bearer realm=x,error="insufficient_scope"')).toEqual([
      { scheme: 'basic', params: { realm: 'a, b' } },
      { scheme: 'bearer', params: { realm: 'x', error: 'insufficient_scope' } },
    ]);
    expect(parseWwwAuthenticate('Basic realm="q\\"uote"')).toEqual([{ scheme: 'basic', params: { realm: 'q"uote' } }]);
  });

  it('runs the bearer token flow with a cache per scope, and strips credentials on cross-origin redirects', async () => {
    const layer = blob(randomBytes(40_000), OCI_LAYER_GZIP);
    const manifestBytes = amd64.manifest.bytes;
    const tokenHits: { auth?: string; scope: string[]; service: string | null }[] = [];
    const storageAuth: (string | undefined)[] = [];
    const storage = await fakeServer((req, res) => {
      storageAuth.push(req.headers.authorization);
      res.writeHead(200, { 'content-length': String(layer.bytes.length) }).end(layer.bytes);
    });
    const tokens = await fakeServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      tokenHits.push({ auth: req.headers.authorization, scope: u.searchParams.getAll('scope'), service: u.searchParams.get('service') });
      const ok = req.headers.authorization === `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? JSON.stringify({ access_token: `tok:${u.searchParams.getAll('scope').join(' ')}`, expires_in: 300 }) : '{}');
    });
    const registry = await fakeServer((req, res) => {
      const m = /^\/v2\/([a-z/]+)\/(manifests|blobs)\/(.+)$/.exec(req.url!);
      const repo = m?.[1] ?? '';
      if (req.headers.authorization !== `Bearer tok:repository:${repo}:pull`) {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${tokens.url}/token",service="fake-registry",scope="repository:${repo}:pull"`, 'content-type': 'application/json' });
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      if (m?.[2] === 'manifests') res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': sha(manifestBytes) }).end(manifestBytes);
      else if (m?.[3] === layer.desc.digest) res.writeHead(307, { location: `${storage.url}/bucket/${layer.desc.digest.slice(7)}?sig=1` }).end();
      else res.writeHead(307, { location: 'http://storage.example.com/blob' }).end();
    });
    const client = new RegistryClient({ registry: registry.url.slice('http://'.length), credentials: USER });
    cleanups.push(() => client.close(), storage.close, tokens.close, registry.close);

    const m1 = await client.getManifest('team/app', '1');
    expect(m1.digest).toBe(amd64.manifest.desc.digest);
    expect(m1.mediaType).toBe(OCI_MANIFEST);
    await client.getManifest('team/app', amd64.manifest.desc.digest);
    expect(tokenHits).toHaveLength(1);
    expect(tokenHits[0]).toMatchObject({ scope: ['repository:team/app:pull'], service: 'fake-registry' });
    expect(tokenHits[0]!.auth).toMatch(/^Basic /);
    await client.getManifest('other/app', '1');
    expect(tokenHits).toHaveLength(2);

    const out = tempDir('ferry-dl-');
    cleanups.push(out.cleanup);
    await client.downloadBlob('team/app', layer.desc, join(out.path, 'layer'));
    expect(readFileSync(join(out.path, 'layer')).equals(layer.bytes)).toBe(true);
    expect(storageAuth).toEqual([undefined]);

    const other = blob(randomBytes(10), OCI_LAYER_GZIP);
    const { value: err, requests } = await requestsDuring(() => rejection(client.openBlob('team/app', other.desc)));
    expect(err.message).toMatch(/Refusing to contact http:\/\/storage\.example\.com/);
    expect(requests.every((r) => r.origin.startsWith('http://127.0.0.1'))).toBe(true);

    const wrong = new RegistryClient({ registry: registry.url.slice('http://'.length), credentials: { username: 'x', password: 'y' } });
    cleanups.push(() => wrong.close());
    const e = await rejection(wrong.getManifest('team/app', '1'));
    expect(e.message).toMatch(/token/i);
    expect(e.hint).toMatch(/check credentials/i);
  });

  it('rejects manifests whose bytes do not match the digest asked for, and oversized ones', async () => {
    const body = amd64.manifest.bytes;
    const huge = Buffer.alloc(5 * 1024 * 1024, 32);
    const reg = await fakeServer((req, res) => {
      if (req.url!.endsWith('/huge')) res.writeHead(200, { 'content-type': OCI_MANIFEST }).end(huge);
      else if (req.url!.endsWith('/lying')) res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': arm64.manifest.desc.digest }).end(body);
      else res.writeHead(200, { 'content-type': OCI_MANIFEST }).end(body);
    });
    const client = new RegistryClient({ registry: reg.url.slice('http://'.length) });
    cleanups.push(() => client.close(), reg.close);
    expect((await rejection(client.getManifest('a/b', arm64.manifest.desc.digest))).message).toMatch(/has content with digest/);
    expect((await rejection(client.getManifest('a/b', 'huge'))).message).toMatch(/larger than 4194304 bytes/);
    expect((await rejection(client.getManifest('a/b', 'lying'))).message).toMatch(/Docker-Content-Digest/);
    expect((await client.getManifest('a/b', amd64.manifest.desc.digest)).digest).toBe(amd64.manifest.desc.digest);
    await expect(client.getManifest('../etc', 'x')).rejects.toThrow(/Invalid repository name/);
  });
});
