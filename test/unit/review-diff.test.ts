import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readManifest, writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT, type BundleManifest, type ImageArtifact } from '../../src/main/bundle/manifest-schema';
import { APPROVED_DIR, lastApproved } from '../../src/main/review/approved-store';
import { diffAgainstApproved } from '../../src/main/review/bundle-diff';
import { reviewBundle } from '../../src/main/review/review';
import { PASS, station, temp, type Station } from './custody-fixtures';
import { createdByOf, signCreation } from '../../src/main/bundle/creation';

// The diff a reviewer sees: this bundle against the newest approved bundle of the same recipe.
const h = (c: string): string => c.repeat(64).slice(0, 64);
const image = (name: string, d: string) => ({
  kind: 'image' as const,
  name: `registry.example/${name}:1`,
  source: `registry.example/${name}:1`,
  registry: 'registry.example',
  repository: name,
  tag: '1',
  digest: `sha256:${h(d)}`,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  platform: 'linux/amd64',
  size: 100,
  config: `sha256:${h('c')}`,
  layers: [],
});
const model = (repo: string, rev: string) => ({
  kind: 'model' as const,
  name: repo,
  source: `http://hub/${repo}`,
  hubUrl: 'http://hub',
  repo,
  requestedRevision: 'main',
  revision: h(rev).slice(0, 40),
  dir: `models/${repo.replace('/', '--')}`,
  size: 10,
  files: [{ path: 'w.bin', size: 10, sha256: h(rev) }],
});

interface Spec {
  recipe?: string;
  images: [string, string][];
  models: [string, string][];
  files: Record<string, string>;
  /** Signature verdicts by image name (manifest artifacts[].signatures). */
  signatures?: Record<string, NonNullable<ImageArtifact['signatures']>>;
}

let t: ReturnType<typeof temp>;
let st: Station;
let n = 0;

async function bundle(spec: Spec): Promise<string> {
  const dir = join(t.path, `b${++n}`);
  mkdirSync(dir, { recursive: true });
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    bundleId: randomUUID(),
    createdAt: `2026-11-23T06:0${n}:00.000+00:00`,
    createdBy: createdByOf(st.ids.unlock('op', PASS), 'low'),
    tool: { name: 'ferry', version: '0.1.0' },
    artifacts: [...spec.images.map(([a, d]) => ({ ...image(a, d), ...(spec.signatures?.[a] ? { signatures: spec.signatures[a] } : {}) })), ...spec.models.map(([r, v]) => model(r, v))],
    files: Object.entries(spec.files).map(([path, c]) => ({ path, size: 1, sha256: h(c) })),
    ...(spec.recipe ? { lock: { path: 'lock.json', sha256: h('9'), recipe: spec.recipe, version: '1' } } : {}),
  };
  await writeManifest(dir, signCreation(manifest, st.ids.unlock('op', PASS))); // created and signed by op
  return dir;
}

const approve = (dir: string) => reviewBundle({ dir, decision: 'approve', reason: 'ok' }, { db: st.db, custody: st.custody, acting: st.ids.unlock('rita', PASS), dataDir: st.dir });
const diff = (dir: string) => diffAgainstApproved(st.db, st.dir, dir);

const first: Spec = { recipe: 'duo', images: [['gateway', 'a'], ['proxy', 'b']], models: [['org/m', 'd']], files: { 'images/blob': 'a', 'files/cfg/policy.yaml': 'e', 'models/org--m/w.bin': 'd' } };

beforeEach(() => {
  t = temp();
  st = station(t.path, 'low');
  st.ids.create('op', 'operator', PASS);
  st.ids.create('rita', 'reviewer', PASS);
});
afterEach(() => {
  st.close();
  t.cleanup();
});

describe('diff against the last approved bundle of the same recipe', () => {
  it('compares with the newest approved bundle of the recipe: changed digest, removed and added artifacts, changed files', async () => {
    const a = await bundle(first);
    expect(await diff(a)).toEqual({ recipe: 'duo' });
    await approve(a);
    const second = { ...first, images: [['gateway', '1'], ['proxy', 'b']] as [string, string][], files: { ...first.files, 'images/blob': '1' } };
    const b = await bundle(second);
    const vsFirst = (await diff(b)).diff!;
    expect(vsFirst.changed).toEqual([expect.objectContaining({ key: 'image:registry.example/gateway:1', before: `sha256:${h('a')}`, pinned: `sha256:${h('1')}` })]);
    await approve(b);
    // An ad-hoc bundle approved later is another recipe and never the baseline for "duo".
    await approve(await bundle({ images: [['other', 'f']], models: [], files: { x: 'f' } }));

    const c = await bundle({
      recipe: 'duo',
      images: [['gateway', '2'], ['proxy', 'b']],
      models: [['org/n', '3']],
      files: { 'images/blob': '2', 'files/cfg/policy.yaml': '7', 'models/org--n/w.bin': '3' },
    });
    const r = await diff(c);
    expect(r.recipe).toBe('duo');
    const d = r.diff!;
    expect(d.against).toMatchObject({ bundleId: (await readManifest(b)).manifest.bundleId, approvedBy: 'rita' });
    expect(d.changed).toEqual([{ key: 'image:registry.example/gateway:1', kind: 'image', name: 'registry.example/gateway:1', source: 'registry.example/gateway:1', pinned: `sha256:${h('2')}`, before: `sha256:${h('1')}`, destination: '<internal registry>/<prefix>/gateway:1', signature: 'no signature policy' }]);
    expect(d.removed.map((x) => x.key)).toEqual(['model:org/m']);
    expect(d.added.map((x) => x.key)).toEqual(['model:org/n']);
    expect(d.filesChanged).toEqual([
      { path: 'files/cfg/policy.yaml', change: 'changed', before: h('e'), after: h('7') },
      { path: 'images/blob', change: 'changed', before: h('1'), after: h('2') },
      { path: 'models/org--m/w.bin', change: 'removed', before: h('d') },
      { path: 'models/org--n/w.bin', change: 'added', after: h('3') },
    ]);
    expect(d.filesChangedTotal).toBe(4);

    // An approved bundle is compared with the one approved before it, not with itself.
    expect((await diff(b)).diff!.changed.map((x) => x.key)).toEqual(['image:registry.example/gateway:1']);
  });

  it('a changed signature verdict is a change even when the digest is the same', async () => {
    const signedBy = (fp: string) => ({ policy: 'registry.example/gateway', verdict: 'verified' as const, kind: 'cosign-key' as const, keyFingerprint: h(fp), artifacts: [] });
    await approve(await bundle({ ...first, signatures: { gateway: signedBy('a') } }));
    const same = await bundle({ ...first, signatures: { gateway: signedBy('a') } });
    expect((await diff(same)).diff!.changed).toEqual([]);
    const otherKey = await bundle({ ...first, signatures: { gateway: signedBy('b') } });
    const [c] = (await diff(otherKey)).diff!.changed;
    expect(c).toMatchObject({ key: 'image:registry.example/gateway:1', before: `sha256:${h('a')}`, pinned: `sha256:${h('a')}` });
    expect(c!.signatureBefore).toContain(`key ${h('a').slice(0, 16)}`);
    expect(c!.signature).toContain(`key ${h('b').slice(0, 16)}`);
    const unsigned = await bundle(first);
    expect((await diff(unsigned)).diff!.changed).toEqual([expect.objectContaining({ signature: 'no signature policy', signatureBefore: expect.stringContaining('verified cosign-key') })]);
  });

  it('ad-hoc bundles compare with ad-hoc ones; an unchanged rebuild shows an empty diff', async () => {
    const spec: Spec = { images: [['gateway', 'a']], models: [], files: { 'images/blob': 'a' } };
    await approve(await bundle(spec));
    const d = (await diff(await bundle(spec))).diff!;
    expect(d).toMatchObject({ added: [], removed: [], changed: [], filesChanged: [], filesChangedTotal: 0 });
  });

  it('a kept summary without its approved custody event does not count; a rejection records no baseline', async () => {
    const a = await bundle(first);
    await reviewBundle({ dir: a, decision: 'reject', reason: 'no' }, { db: st.db, custody: st.custody, acting: st.ids.unlock('rita', PASS), dataDir: st.dir });
    expect(await lastApproved(st.db, st.dir, 'duo')).toBeUndefined();
    mkdirSync(join(st.dir, APPROVED_DIR), { recursive: true });
    writeFileSync(join(st.dir, APPROVED_DIR, `${h('5')}.json`), JSON.stringify({ bundleId: randomUUID(), manifestSha256: h('5'), recipe: 'duo', artifacts: [], files: [] }));
    expect((await diff(await bundle(first))).diff).toBeUndefined();
  });
});
