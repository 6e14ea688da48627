import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FerryError } from '../../src/shared/errors';
import { OciLayout, REF_NAME_ANNOTATION } from '../../src/main/oci/layout';
import { OCI_CONFIG, OCI_MANIFEST } from '../../src/main/registry/media-types';
import { tempDir } from '../harness/temp';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function dir(): string {
  const t = tempDir('ferry-layout-');
  cleanups.push(t.cleanup);
  return t.path;
}
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function manifestIn(layout: OciLayout, tag: string) {
  const config = await layout.putBlobBytes(Buffer.from(`{"os":"linux","architecture":"amd64","tag":"${tag}"}`), OCI_CONFIG);
  const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [] }));
  return layout.putBlobBytes(m, OCI_MANIFEST);
}

describe('OciLayout', () => {
  it('create initialises a standard layout and is idempotent', async () => {
    const d = dir();
    await OciLayout.create(d);
    expect(JSON.parse(readFileSync(join(d, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(JSON.parse(readFileSync(join(d, 'index.json'), 'utf8'))).toMatchObject({ schemaVersion: 2, manifests: [] });
    const layout = await OciLayout.create(d);
    await layout.addImage('a:1', await manifestIn(layout, 'a'));
    await OciLayout.create(d); // must not reset index.json
    expect((await (await OciLayout.open(d)).images()).map((i) => i.refName)).toEqual(['a:1']);
  });

  it('stores blobs by digest, once, and reads them back verified and bounded', async () => {
    const layout = await OciLayout.create(dir());
    const bytes = Buffer.from('{"hello":"world"}');
    const [a, b] = await Promise.all([layout.putBlobBytes(bytes, OCI_CONFIG), layout.putBlobBytes(bytes, OCI_CONFIG)]);
    expect(a).toEqual({ mediaType: OCI_CONFIG, digest: sha(bytes), size: bytes.length });
    expect(b).toEqual(a);
    expect(layout.blobPath(a.digest)).toBe(join(layout.dir, 'blobs', 'sha256', a.digest.slice(7)));
    expect(readdirSync(join(layout.dir, 'blobs', 'sha256'))).toEqual([a.digest.slice(7)]);
    expect(await layout.hasBlob(a.digest)).toBe(true);
    expect(await layout.hasBlob(a.digest, bytes.length)).toBe(true);
    expect(await layout.hasBlob(a.digest, bytes.length + 1)).toBe(false);
    expect(await layout.hasBlob(sha('other'))).toBe(false);
    expect(await layout.readBlob(a.digest, 1024)).toEqual(bytes);
    await expect(layout.readBlob(a.digest, 4)).rejects.toThrow(/more than the 4 allowed/);
    writeFileSync(layout.blobPath(a.digest), '{"hello":"World"}');
    await expect(layout.readBlob(a.digest, 1024)).rejects.toThrow(/does not match its digest/);
    await expect(layout.readBlob(sha('missing'), 1024)).rejects.toThrow(/missing/);
  });

  it.each(['sha256:../../etc/passwd', `sha256:${'A'.repeat(64)}`, `sha512:${'a'.repeat(128)}`, `sha256:${'a'.repeat(63)}`, `sha256:${'a'.repeat(64)}/x`, ''])(
    'blobPath rejects %j',
    async (digest) => {
      const layout = await OciLayout.create(dir());
      expect(() => layout.blobPath(digest)).toThrow(FerryError);
    },
  );

  it('addImage names images, replaces the same name, keeps others, writes atomically', async () => {
    const layout = await OciLayout.create(dir());
    const m1 = await manifestIn(layout, '1');
    const m2 = await manifestIn(layout, '2');
    await layout.addImage('reg/app:1', m1);
    await layout.addImage('reg/app:2', m1);
    await layout.addImage('reg/app:1', { ...m2, annotations: { 'x.y': 'z' } });
    const imgs = await layout.images();
    expect(imgs.map((i) => [i.refName, i.descriptor.digest])).toEqual([
      ['reg/app:2', m1.digest],
      ['reg/app:1', m2.digest],
    ]);
    expect(imgs[1]!.descriptor.annotations).toEqual({ 'x.y': 'z', [REF_NAME_ANNOTATION]: 'reg/app:1' });
    expect(readdirSync(layout.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // concurrent adds all land
    await Promise.all(['a', 'b', 'c', 'd'].map((n) => layout.addImage(n, m1)));
    expect((await layout.images()).map((i) => i.refName).sort()).toEqual(['a', 'b', 'c', 'd', 'reg/app:1', 'reg/app:2']);
  });

  it('addImage refuses a missing manifest blob and bad names', async () => {
    const layout = await OciLayout.create(dir());
    const m = await manifestIn(layout, '1');
    await expect(layout.addImage('app', { ...m, digest: sha('nope') })).rejects.toThrow(/is not in/);
    await expect(layout.addImage('app', { ...m, size: m.size + 1 })).rejects.toThrow(/is not in/);
    for (const bad of ['', 'a b', '../x', 'a//b', 'x/']) await expect(layout.addImage(bad, m)).rejects.toThrow(/Invalid image name/);
  });

  describe('open treats content as hostile', () => {
    async function broken(mutate: (d: string) => void): Promise<unknown> {
      const d = dir();
      await OciLayout.create(d);
      mutate(d);
      return OciLayout.open(d).then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    it.each<[string, (d: string) => void, RegExp]>([
      ['wrong layout version', (d) => writeFileSync(join(d, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}'), /imageLayoutVersion/],
      ['oci-layout not JSON', (d) => writeFileSync(join(d, 'oci-layout'), 'nope'), /not JSON/],
      ['huge oci-layout', (d) => writeFileSync(join(d, 'oci-layout'), ' '.repeat(5000)), /larger than/],
      ['index.json not JSON', (d) => writeFileSync(join(d, 'index.json'), '{'), /not JSON/],
      ['bad digest in index', (d) => writeFileSync(join(d, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: OCI_MANIFEST, digest: 'sha256:../../x', size: 1 }] })), /manifests\.0\.digest/],
      ['negative size', (d) => writeFileSync(join(d, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: OCI_MANIFEST, digest: sha('x'), size: -1 }] })), /size/],
      ['schemaVersion', (d) => writeFileSync(join(d, 'index.json'), JSON.stringify({ schemaVersion: 1, manifests: [] })), /schemaVersion/],
      ['index.json is a symlink', (d) => {
        writeFileSync(join(d, 'real.json'), '{"schemaVersion":2,"manifests":[]}');
        const p = join(d, 'index.json');
        writeFileSync(p, '');
        rmSync(p);
        symlinkSync(join(d, 'real.json'), p);
      }, /not a regular file/],
      ['missing blobs dir', (d) => rmSync(join(d, 'blobs'), { recursive: true }), /blobs\/sha256/],
    ])('%s', async (_name, mutate, re) => {
      const err = await broken(mutate);
      expect(err).toBeInstanceOf(FerryError);
      expect((err as Error).message).toMatch(re);
    });

    it('a missing layout is reported clearly', async () => {
      const d = join(dir(), 'nothing');
      mkdirSync(d);
      await expect(OciLayout.open(d)).rejects.toThrow(/not a valid OCI image layout.*oci-layout is missing/);
      expect(existsSync(join(d, 'index.json'))).toBe(false);
    });
  });
});
