import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportResult, VerifyResult } from '../../src/shared/api';
import { makeCosignKey, pushCosignSignature, pushReferrer, SIG_ANNOTATION, SIMPLESIGNING, startReferrersFront, type CosignKey } from '../harness/cosign-sign';
import { SigstoreFixture } from '../harness/sigstore-fixture';
import { ferry } from '../harness/ferry-cli';
import { startRegistry, type TestRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { makeLayerTar, pushTestImages, writeOciImage } from '../harness/test-images';

// Issue 18, "Done when": a source registry holds one image with a cosign key signature, one unsigned,
// one signed by another key. With a policy requiring the test key for the repository, resolve accepts
// the first and refuses the other two naming them; the bundle carries the signature; after import to
// the internal TLS registry the pushed signature is fetched with plain HTTPS calls and checked with
// openssl, and its payload names the pushed image's manifest digest. Also the referrers paths.

const tmp = tempDir('ferry-sig-');
const dataDir = join(tmp.path, 'data');
const offlineData = join(tmp.path, 'offline');
const creds = { username: 'ferry', password: 'signature test password' };
let source: TestRegistry;
let internal: TestRegistry;
let front: Awaited<ReturnType<typeof startReferrersFront>>;
let key: CosignKey;
let other: CosignKey;
const img: Record<string, { ref: string; digest: string; size: number }> = {};
const common = (dir = dataDir) => ['--data-dir', dir, '--json'];
const SIGNER = { subject: 'release@vendor.test', issuer: 'https://issuer.vendor.test' };

beforeAll(async () => {
  [source, internal] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: creds })]);
  front = await startReferrersFront(source.host);
  key = makeCosignKey(tmp.path, 'cosign');
  other = makeCosignKey(tmp.path, 'other');
  const layout = join(tmp.path, 'src-layout');
  for (const name of ['signed', 'unsigned', 'othersigned', 'tagschema', 'referred']) {
    writeOciImage(layout, { name: `${name}:1.0`, layers: [await makeLayerTar([{ path: `${name}.txt`, content: `${name}\n` }])], cmd: ['/bin/true'] });
  }
  for (const p of await pushTestImages(layout, source.host, 'test')) {
    const name = /\/test\/([a-z]+):1\.0$/.exec(p.ref)![1]!;
    const raw = readFileSync(join(layout, 'blobs', 'sha256', p.digest.slice(7)));
    img[name] = { ...p, size: raw.length };
  }
  const sign = (name: string, k: CosignKey, mode: 'tag' | 'referrer' | 'referrers-tag') =>
    pushCosignSignature({ host: source.host, repo: `test/${name}`, digest: img[name]!.digest, key: k.privateKey, mode, image: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: img[name]!.size } });
  await sign('signed', key, 'tag');
  await sign('othersigned', other, 'tag');
  await sign('tagschema', key, 'referrers-tag');
  front.add(img.referred!.digest, await sign('referred', key, 'referrer'));
  // Keyless: Sigstore bundles from a private Sigstore (test/harness/sigstore-fixture.ts) as referrers.
  const keyless = join(tmp.path, 'keyless-layout');
  for (const name of ['keyless', 'tampered']) writeOciImage(keyless, { name: `${name}:1.0`, layers: [await makeLayerTar([{ path: `${name}.txt`, content: `${name}\n` }])], cmd: ['/bin/true'] });
  for (const p of await pushTestImages(keyless, source.host, 'sig')) {
    const name = /\/sig\/([a-z]+):1\.0$/.exec(p.ref)![1]!;
    img[name] = { ...p, size: readFileSync(join(keyless, 'blobs', 'sha256', p.digest.slice(7))).length };
  }
  const sigstore = new SigstoreFixture();
  writeFileSync(join(tmp.path, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot()));
  for (const name of ['keyless', 'tampered']) {
    const bundle = sigstore.signDsse(img[name]!.digest.slice(7), { ...SIGNER, corruptSignature: name === 'tampered' });
    await pushReferrer({ host: source.host, repo: `sig/${name}`, digest: img[name]!.digest, image: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: img[name]!.size }, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', layerMediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', layer: Buffer.from(JSON.stringify(bundle)) });
  }
  const keylessRule = await ferry(['signature-policy', 'add', `${source.host}/sig`, '--sigstore-identity', SIGNER.subject, '--sigstore-issuer', SIGNER.issuer, '--trusted-root', join(tmp.path, 'trusted_root.json'), ...common()]);
  expect(keylessRule.code, keylessRule.stderr).toBe(0);
  for (const prefix of [`${source.host}/test`, `${front.host}/test`]) {
    const r = await ferry(['signature-policy', 'add', prefix, '--cosign-key', key.pubFile, ...common()]);
    expect(r.code, r.stderr).toBe(0);
  }
});

afterAll(async () => {
  await Promise.allSettled([source?.stop(), internal?.stop(), front?.stop()]);
  tmp.cleanup();
});

/** GET over HTTPS with the test CA and basic auth: plain HTTP calls, no Ferry code. */
function httpsGet(path: string, accept: string): Promise<{ status: number; body: Buffer }> {
  const [host, port] = internal.host.split(':');
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host, port: Number(port), path, ca: readFileSync(internal.caFile!), headers: { accept, authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('cosign key signatures: policy, carry, push, offline check', () => {
  const bundle = join(tmp.path, 'bundle');

  it('refuses the unsigned image and the one signed by another key, naming each and only them', async () => {
    const r = await ferry(['bundle', 'create', '--image', img.signed!.ref, '--image', img.unsigned!.ref, '--image', img.othersigned!.ref, '--out', join(tmp.path, 'refused'), ...common()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/signature policy refuses 2 image/);
    expect(r.stderr).toContain(`${img.unsigned!.ref} (${img.unsigned!.digest})`);
    expect(r.stderr).toMatch(/unsigned:1\.0 .*no cosign signature found/);
    expect(r.stderr).toMatch(/othersigned:1\.0 .*none valid for key sha256:[a-f0-9]{64}: the signature does not verify/);
    expect(r.stderr).not.toContain(`${img.signed!.ref} (`);
  });

  it('accepts the signed image, records the verdict and carries the signature', async () => {
    const r = await ferry(['bundle', 'create', '--image', img.signed!.ref, '--out', bundle, ...common()]);
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8'));
    const a = manifest.artifacts[0];
    const sigTag = `sha256-${img.signed!.digest.slice(7)}.sig`;
    expect(a.signatures).toMatchObject({ verdict: 'verified', kind: 'cosign-key', keyFingerprint: expect.stringMatching(/^[a-f0-9]{64}$/), artifacts: [{ tag: sigTag }] });
    const sig = a.signatures.artifacts[0].digest as string;
    expect(manifest.files.map((f: { path: string }) => f.path)).toContain(`images/blobs/sha256/${sig.slice(7)}`);
    const lock = JSON.parse(readFileSync(join(bundle, 'lock.json'), 'utf8'));
    expect(lock.images[0].signatures).toMatchObject({ verdict: 'verified', publicKey: expect.stringContaining('BEGIN PUBLIC KEY') });
    // The layout names the signature under cosign's tag, readable by skopeo as is.
    const raw = execFileSync('skopeo', ['inspect', '--raw', `oci:${join(bundle, 'images')}:${source.host}/test/signed:${sigTag}`]);
    expect(`sha256:${createHash('sha256').update(raw).digest('hex')}`).toBe(sig);
    const v = await ferry(['verify', bundle, ...common()]);
    expect(v.code, v.stdout).toBe(0);
  });

  it('offline verify re-checks the signature against the recorded key and names the image when it fails', async () => {
    const copy = join(tmp.path, 'bundle-otherkey');
    execFileSync('cp', ['-r', bundle, copy]);
    // The lock (and so the manifest's file list) recording another key: hashes consistent, the signature is not.
    const lockPath = join(copy, 'lock.json');
    const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
    lock.images[0].signatures.publicKey = readFileSync(other.pubFile, 'utf8');
    const bytes = Buffer.from(`${JSON.stringify(lock, null, 2)}\n`);
    writeFileSync(lockPath, bytes);
    const mPath = join(copy, 'manifest.json');
    const m = JSON.parse(readFileSync(mPath, 'utf8'));
    const entry = m.files.find((f: { path: string }) => f.path === 'lock.json');
    entry.size = bytes.length;
    entry.sha256 = createHash('sha256').update(bytes).digest('hex');
    m.lock.sha256 = entry.sha256;
    delete m.createdBy.signature;
    writeFileSync(mPath, JSON.stringify(m));
    const v = await ferry(['verify', copy, ...common()]);
    expect(v.code).toBe(1);
    const problems = v.json<VerifyResult>().problems;
    expect(problems).toContainEqual(expect.objectContaining({ path: 'manifest.json#artifacts.0.signatures', detail: expect.stringMatching(new RegExp(`image ${img.signed!.ref.replace(/\./g, '\\.')}: signature check failed .*none valid for key`)) }));
  });

  it('pushes the signature next to the image; openssl verifies it and it names the pushed digest', async () => {
    const r = await ferry(['import', bundle, '--registry', `${internal.host}/duo`, '--ca', internal.caFile!, '--username', creds.username, '--password-stdin', ...common(offlineData)], { input: creds.password });
    expect(r.code, r.stderr).toBe(0);
    const pushed = r.json<ImportResult>().registry[0]!;
    const [, repo, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(pushed.target)!;
    const image = await httpsGet(`/v2/${repo}/manifests/${tag}`, 'application/vnd.oci.image.manifest.v1+json');
    expect(image.status).toBe(200);
    const imageDigest = `sha256:${createHash('sha256').update(image.body).digest('hex')}`;
    const sigM = await httpsGet(`/v2/${repo}/manifests/sha256-${imageDigest.slice(7)}.sig`, 'application/vnd.oci.image.manifest.v1+json');
    expect(sigM.status).toBe(200);
    const layer = JSON.parse(sigM.body.toString()).layers.find((l: { mediaType: string }) => l.mediaType === SIMPLESIGNING);
    const payload = await httpsGet(`/v2/${repo}/blobs/${layer.digest}`, '*/*');
    expect(payload.status).toBe(200);
    writeFileSync(join(tmp.path, 'payload'), payload.body);
    writeFileSync(join(tmp.path, 'sig.der'), Buffer.from(layer.annotations[SIG_ANNOTATION], 'base64'));
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', key.pubFile, '-signature', join(tmp.path, 'sig.der'), join(tmp.path, 'payload')], { encoding: 'utf8' });
    expect(out.trim()).toBe('Verified OK');
    expect(JSON.parse(payload.body.toString()).critical.image['docker-manifest-digest']).toBe(imageDigest);
    expect(imageDigest).toBe(img.signed!.digest);
  });

  it('finds a signature through the referrers tag schema and through the referrers API', async () => {
    const viaTag = join(tmp.path, 'b-tagschema');
    const r1 = await ferry(['bundle', 'create', '--image', img.tagschema!.ref, '--out', viaTag, ...common()]);
    expect(r1.code, r1.stderr).toBe(0);
    const s1 = JSON.parse(readFileSync(join(viaTag, 'manifest.json'), 'utf8')).artifacts[0].signatures;
    expect(s1.verdict).toBe('verified');
    expect(s1.artifacts.map((a: { tag?: string }) => a.tag ?? 'by-digest')).toEqual(['by-digest', `sha256-${img.tagschema!.digest.slice(7)}`]);

    const viaApi = join(tmp.path, 'b-api');
    const ref = img.referred!.ref.replace(source.host, front.host);
    const r2 = await ferry(['bundle', 'create', '--image', ref, '--out', viaApi, ...common()]);
    expect(r2.code, r2.stderr).toBe(0);
    const s2 = JSON.parse(readFileSync(join(viaApi, 'manifest.json'), 'utf8')).artifacts[0].signatures;
    expect(s2).toMatchObject({ verdict: 'verified', artifacts: [{ artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' }] });
    // The same image straight from the registry (no API, no tag) has no signature: refused.
    const r3 = await ferry(['bundle', 'create', '--image', img.referred!.ref, '--out', join(tmp.path, 'b-none'), ...common()]);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/referred:1\.0 .*no cosign signature found/);
  });

  it('verifies a Sigstore bundle for a keyless rule, at resolve and offline, and refuses a tampered one', async () => {
    const out = join(tmp.path, 'b-keyless');
    const r = await ferry(['bundle', 'create', '--image', img.keyless!.ref, '--out', out, ...common()]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).artifacts[0].signatures;
    expect(s).toMatchObject({ verdict: 'verified', kind: 'sigstore-bundle', identity: `${SIGNER.subject} (${SIGNER.issuer})`, artifacts: [{ artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }, { tag: `sha256-${img.keyless!.digest.slice(7)}` }] });
    expect((await ferry(['verify', out, ...common()])).code).toBe(0);
    const bad = await ferry(['bundle', 'create', '--image', img.tampered!.ref, '--out', join(tmp.path, 'b-tampered'), ...common()]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/tampered:1\.0 .*1 Sigstore bundle\(s\) found, none valid for release@vendor\.test/);
  });

  it('holds a lock given with --lock to the station rules: one without the verdict is refused', async () => {
    const lock = JSON.parse(readFileSync(join(bundle, 'lock.json'), 'utf8'));
    delete lock.images[0].signatures;
    const file = join(tmp.path, 'stripped.lock.json');
    writeFileSync(file, JSON.stringify(lock));
    const r = await ferry(['bundle', 'create', '--lock', file, '--out', join(tmp.path, 'b-lock'), ...common()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not meet this station's signature policy: Image .*signed:1\.0 .*does not record the signature the station requires/);
  });

  it('takes rules from a recipe\'s signatures: field where the station has none; an image no rule covers is refused', async () => {
    const fresh = join(tmp.path, 'fresh');
    const recipe = (name: string, rule: string[], sources: string[]): string => {
      const file = join(tmp.path, `${name}.yaml`);
      writeFileSync(file, [
        'format: ferry.recipe.v1', `id: ${name}`, 'title: Signature test', 'version: "1"',
        'signatures:', `  - match: ${source.host}/test`, ...rule,
        'artifacts:', '  images:', ...sources.flatMap((src, i) => [`    - id: image-${i}`, `      source: ${src}`, '      tag: "1.0"']),
      ].join('\n'));
      return file;
    };
    const refusing = recipe('refusing', ['    require: cosign-key', '    key: other.pub'], [`${source.host}/test/signed`, `${source.host}/sig/keyless`]);
    const r = await ferry(['bundle', 'create', '--recipe', refusing, '--out', join(tmp.path, 'b-recipe'), ...common(fresh)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refuses 2 image/);
    expect(r.stderr).toMatch(/signed:1\.0 .*recipe rule .*\/test: cosign-key.*none valid for key/);
    expect(r.stderr).toMatch(/keyless:1\.0 .*no signature policy rule matches .*\/sig\/keyless/);
    // require: none still carries what it finds, with the verdict "not-required".
    const lenient = recipe('lenient', ['    require: none'], [`${source.host}/test/signed`]);
    const out = join(tmp.path, 'b-lenient');
    const ok = await ferry(['bundle', 'create', '--recipe', lenient, '--out', out, ...common(fresh)]);
    expect(ok.code, ok.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).artifacts[0].signatures;
    expect(s).toEqual({ policy: `recipe rule ${source.host}/test: none`, verdict: 'not-required', artifacts: [expect.objectContaining({ tag: `sha256-${img.signed!.digest.slice(7)}.sig` })] });
  });
});
