import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

// cosign's key-signature format, made here because Debian's cosign-capable tools are built with
// sigstore disabled. Follows sigstore/cosign exactly:
//   payload  {"critical":{"identity":{"docker-reference":REPO},"image":{"docker-manifest-digest":DIGEST},
//             "type":"cosign container image signature"},"optional":null}
//   signature ECDSA P-256 over SHA-256 of the payload bytes, ASN.1 DER, base64 in the layer annotation
//             dev.cosignproject.cosign/signature
//   manifest  OCI image manifest, one layer application/vnd.dev.cosign.simplesigning.v1+json, tagged
//             sha256-<hex>.sig in the image's repository (or, as an OCI 1.1 referrer: artifactType
//             application/vnd.dev.cosign.artifact.sig.v1+json, empty config, subject = the image).
// Keys are openssl-compatible PEM (SPKI public, PKCS#8 private).

export const SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIG_ANNOTATION = 'dev.cosignproject.cosign/signature';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
const COSIGN_ARTIFACT = 'application/vnd.dev.cosign.artifact.sig.v1+json';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface CosignKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** key.pub (PEM SPKI) */
  pubFile: string;
  /** key (PEM PKCS#8), for openssl */
  keyFile: string;
}

/** A fresh ECDSA P-256 key pair written as `<dir>/<name>.pub` and `<dir>/<name>.key`. */
export function makeCosignKey(dir: string, name: string): CosignKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pubFile = join(dir, `${name}.pub`);
  const keyFile = join(dir, `${name}.key`);
  writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { privateKey, publicKey, pubFile, keyFile };
}

/** The simple-signing payload cosign signs, byte for byte as cosign marshals it. */
export function cosignPayload(dockerReference: string, digest: string): Buffer {
  return Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
}

export interface SignatureManifest {
  manifest: Buffer;
  digest: string;
  blobs: { digest: string; data: Buffer }[];
}

/** The signature manifest for `digest` signed by `key` (tag form, or as a referrer of the image). */
export function cosignSignatureManifest(o: { dockerReference: string; digest: string; key: KeyObject; referrerOf?: { mediaType: string; size: number } }): SignatureManifest {
  const payload = cosignPayload(o.dockerReference, o.digest);
  const signature = sign('sha256', payload, { key: o.key, dsaEncoding: 'der' }).toString('base64');
  const layer = { mediaType: SIMPLESIGNING, size: payload.length, digest: sha256(payload), annotations: { [SIG_ANNOTATION]: signature } };
  let config: Buffer;
  let manifest: Record<string, unknown>;
  if (o.referrerOf) {
    config = Buffer.from('{}');
    manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: COSIGN_ARTIFACT, config: { mediaType: OCI_EMPTY, size: 2, digest: sha256(config) }, layers: [layer], subject: { mediaType: o.referrerOf.mediaType, size: o.referrerOf.size, digest: o.digest } };
  } else {
    config = Buffer.from(JSON.stringify({ architecture: '', config: {}, created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '', rootfs: { type: 'layers', diff_ids: [sha256(payload)] } }));
    manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, size: config.length, digest: sha256(config) }, layers: [layer] };
  }
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { manifest: bytes, digest: sha256(bytes), blobs: [{ digest: sha256(config), data: config }, { digest: layer.digest, data: payload }] };
}

/** Plain HTTP registry calls (no auth) to a test registry on loopback. */
async function putBlob(host: string, repo: string, digest: string, data: Buffer): Promise<void> {
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`blob upload to ${host}/${repo}: HTTP ${start.status}`);
  const loc = new URL(start.headers.get('location')!, `http://${host}`);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`blob PUT to ${host}/${repo}: HTTP ${put.status} ${await put.text()}`);
}

export async function putManifest(host: string, repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<void> {
  const r = await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body: bytes, headers: { 'content-type': mediaType } });
  if (r.status !== 201) throw new Error(`manifest PUT ${host}/${repo}:${ref}: HTTP ${r.status} ${await r.text()}`);
}

/**
 * Signs the image `digest` in `host/repo` with `key` and pushes the signature:
 *  - 'tag': cosign's sha256-<hex>.sig tag;
 *  - 'referrer': an OCI 1.1 referrer pushed by digest only (found through the referrers API);
 *  - 'referrers-tag': a referrer plus the referrers tag schema's index tagged sha256-<hex>.
 */
export async function pushCosignSignature(o: { host: string; repo: string; digest: string; key: KeyObject; mode: 'tag' | 'referrer' | 'referrers-tag'; image?: { mediaType: string; size: number } }): Promise<SignatureManifest> {
  const referrerOf = o.mode === 'tag' ? undefined : (o.image ?? { mediaType: OCI_MANIFEST, size: 0 });
  const s = cosignSignatureManifest({ dockerReference: `${o.host}/${o.repo}`, digest: o.digest, key: o.key, ...(referrerOf ? { referrerOf } : {}) });
  for (const b of s.blobs) await putBlob(o.host, o.repo, b.digest, b.data);
  const hex = o.digest.slice(7);
  await putManifest(o.host, o.repo, o.mode === 'tag' ? `sha256-${hex}.sig` : s.digest, s.manifest, OCI_MANIFEST);
  if (o.mode === 'referrers-tag') {
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, artifactType: COSIGN_ARTIFACT, size: s.manifest.length, digest: s.digest }] }));
    await putManifest(o.host, o.repo, `sha256-${hex}`, index, OCI_INDEX);
  }
  return s;
}

/**
 * A loopback front for a registry that has no referrers API (distribution 2.8): answers
 * GET /v2/<repo>/referrers/<digest> from `referrers` (digest → referrer manifests), and forwards
 * every other request to the registry unchanged.
 */
export async function startReferrersFront(registryHost: string): Promise<{ host: string; add(digest: string, s: SignatureManifest): void; stop(): Promise<void> }> {
  const table = new Map<string, SignatureManifest[]>();
  const [rhost, rport] = registryHost.split(':');
  const server = createServer((req, res) => {
    const m = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '');
    if (m && req.method === 'GET') {
      const list = table.get(m[2]!) ?? [];
      const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: list.map((s) => ({ mediaType: OCI_MANIFEST, artifactType: COSIGN_ARTIFACT, size: s.manifest.length, digest: s.digest })) });
      res.writeHead(200, { 'content-type': OCI_INDEX, 'content-length': Buffer.byteLength(body) });
      return void res.end(body);
    }
    const up = httpRequest({ host: rhost, port: Number(rport), method: req.method, path: req.url, headers: { ...req.headers, host: registryHost } }, (r) => {
      const headers = { ...r.headers };
      if (typeof headers.location === 'string') headers.location = headers.location.replace(`//${registryHost}`, `//${hostOf()}`);
      res.writeHead(r.statusCode ?? 502, headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const hostOf = () => `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host: hostOf(),
    add: (digest, s) => table.set(digest, [...(table.get(digest) ?? []), s]),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * Pushes any OCI 1.1 referrer of the image `digest` (empty config, one layer) by digest, and the
 * referrers tag schema's index (sha256-<hex>) listing it: e.g. a Sigstore bundle as cosign v3 stores it.
 */
export async function pushReferrer(o: { host: string; repo: string; digest: string; image: { mediaType: string; size: number }; artifactType: string; layerMediaType: string; layer: Buffer }): Promise<string> {
  const config = Buffer.from('{}');
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: o.artifactType,
    config: { mediaType: OCI_EMPTY, size: 2, digest: sha256(config) },
    layers: [{ mediaType: o.layerMediaType, size: o.layer.length, digest: sha256(o.layer) }],
    subject: { mediaType: o.image.mediaType, size: o.image.size, digest: o.digest },
  }));
  await putBlob(o.host, o.repo, sha256(config), config);
  await putBlob(o.host, o.repo, sha256(o.layer), o.layer);
  await putManifest(o.host, o.repo, sha256(manifest), manifest, OCI_MANIFEST);
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, artifactType: o.artifactType, size: manifest.length, digest: sha256(manifest) }] }));
  await putManifest(o.host, o.repo, `sha256-${o.digest.slice(7)}`, index, OCI_INDEX);
  return sha256(manifest);
}
