import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { strongestIntegrity, unbundledDependencies } from '../../src/main/derive/npm-package';
import { npmLayer, packageBins } from '../../src/main/derive/npm-layer';
import { DEFAULT_NPM_REGISTRY, expandRecipe } from '../../src/main/recipes/expand';
import { checkRecipe } from '../../src/main/recipes/recipe-check';
import { RecipeSchema } from '../../src/main/recipes/recipe-schema';
import { duoCliStandIn, makeNpmTarball, type NpmPackageSpec } from '../harness/npm-registry';

interface Listed {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname?: string;
  body: string;
}

async function list(gz: Buffer): Promise<Listed[]> {
  const out: Listed[] = [];
  const extract = tar.extract();
  const reading = (async () => {
    for await (const e of extract) {
      const chunks: Buffer[] = [];
      for await (const c of e) chunks.push(c as Buffer);
      const h = e.header;
      out.push({ name: h.name, type: h.type ?? 'file', mode: h.mode ?? 0, uid: h.uid ?? -1, gid: h.gid ?? -1, mtime: h.mtime?.getTime() ?? 0, ...(h.linkname ? { linkname: h.linkname } : {}), body: Buffer.concat(chunks).toString('utf8') });
    }
  })();
  await Promise.all([pipeline(Readable.from([gz]), createGunzip(), extract), reading]);
  return out;
}

const DUO = '@gitlab/duo-cli';
const ROOT = `usr/local/lib/node_modules/${DUO}`;

describe('npm package → image layer', () => {
  it('lays the package out as npm install --global does: node_modules, bin symlink, executable bin target', async () => {
    const layer = await npmLayer(await makeNpmTarball(duoCliStandIn()), { package: DUO, version: '8.86.0' });
    const entries = await list(layer.gz);
    const names = entries.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual([
      'usr/', 'usr/local/', 'usr/local/bin/', 'usr/local/bin/duo', 'usr/local/lib/', 'usr/local/lib/node_modules/', 'usr/local/lib/node_modules/@gitlab/',
      `${ROOT}/`, `${ROOT}/README.md`, `${ROOT}/bin/`, `${ROOT}/bin/duo.js`, `${ROOT}/dist/`, `${ROOT}/dist/index.js`, `${ROOT}/package.json`,
    ]);
    const by = new Map(entries.map((e) => [e.name, e]));
    expect(by.get('usr/local/bin/duo')).toMatchObject({ type: 'symlink', linkname: `../lib/node_modules/${DUO}/bin/duo.js` });
    expect(by.get(`${ROOT}/bin/duo.js`)!.mode).toBe(0o755); // 0644 in the tarball: bins are made executable
    expect(by.get(`${ROOT}/dist/index.js`)!.mode).toBe(0o644);
    expect(by.get(`${ROOT}/`)!.mode).toBe(0o755);
    expect(JSON.parse(by.get(`${ROOT}/package.json`)!.body)).toMatchObject({ name: DUO, version: '8.86.0', bin: { duo: 'bin/duo.js' } });
    for (const e of entries) expect([e.uid, e.gid, e.mtime]).toEqual([0, 0, Date.parse('1985-10-26T08:15:00Z')]);
    expect(layer.bins).toEqual({ duo: 'bin/duo.js' });
    expect(layer.diffId).toBe(`sha256:${createHash('sha256').update(layer.tar).digest('hex')}`);
    expect(layer.digest).toBe(`sha256:${createHash('sha256').update(layer.gz).digest('hex')}`);
  });

  it('is deterministic: same tarball, same layer digest; gzip header without time, OS byte fixed', async () => {
    const tgz = await makeNpmTarball(duoCliStandIn());
    const a = await npmLayer(tgz, { package: DUO, version: '8.86.0' });
    const b = await npmLayer(Buffer.from(tgz), { package: DUO, version: '8.86.0' });
    expect(b.digest).toBe(a.digest);
    expect(b.gz.equals(a.gz)).toBe(true);
    expect([...a.gz.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    expect(a.gz[9]).toBe(3);
    const other = await npmLayer(await makeNpmTarball(duoCliStandIn('8.87.0')), { package: DUO, version: '8.87.0' });
    expect(other.digest).not.toBe(a.digest);
  });

  it('keeps bundled dependencies (node_modules inside the package) and refuses unbundled ones, naming them', async () => {
    const bundled: NpmPackageSpec = { name: 'tool', version: '1.0.0', manifest: { bin: 'cli.js', dependencies: { leftpad: '^1' }, bundleDependencies: ['leftpad'] }, files: { 'cli.js': 'x', 'node_modules/leftpad/index.js': 'y' } };
    const layer = await npmLayer(await makeNpmTarball(bundled), { package: 'tool', version: '1.0.0' });
    const names = (await list(layer.gz)).map((e) => e.name);
    expect(names).toContain('usr/local/lib/node_modules/tool/node_modules/leftpad/index.js');
    expect(names).toContain('usr/local/bin/tool'); // a string bin is named after the package
    const loose = { ...bundled, manifest: { dependencies: { leftpad: '^1', chalk: '^5' }, bundleDependencies: ['leftpad'] } };
    await expect(npmLayer(await makeNpmTarball(loose), { package: 'tool', version: '1.0.0' })).rejects.toThrow(/tool@1\.0\.0 depends on chalk, which it does not bundle/);
  });

  it('refuses entries that leave the package, whiteout names, another package, and a bin pointing nowhere', async () => {
    const base: NpmPackageSpec = { name: 'tool', version: '1.0.0', files: {} };
    await expect(npmLayer(await makeNpmTarball({ ...base, files: { '../../etc/passwd': 'x' } }), { package: 'tool', version: '1.0.0' })).rejects.toThrow(/leaves the package folder/);
    await expect(npmLayer(await makeNpmTarball({ ...base, files: { 'lib/.wh.bashrc': 'x' } }), { package: 'tool', version: '1.0.0' })).rejects.toThrow(/whiteout/);
    await expect(npmLayer(await makeNpmTarball({ ...base, name: 'other' }), { package: 'tool', version: '1.0.0' })).rejects.toThrow(/says other@1\.0\.0/);
    await expect(npmLayer(await makeNpmTarball({ ...base, manifest: { bin: { t: 'missing.js' } } }), { package: 'tool', version: '1.0.0' })).rejects.toThrow(/bin "t" points at missing\.js/);
    await expect(npmLayer(Buffer.from('not gzip'), { package: 'tool', version: '1.0.0' })).rejects.toThrow(/cannot be unpacked/);
  });

  it('normalises bin, dependencies and integrity as npm does', () => {
    expect(packageBins({ bin: './bin/x.js' }, '@scope/tool')).toEqual({ tool: 'bin/x.js' });
    expect(packageBins({ bin: { '../evil': 'a.js', ok: '../../out.js', good: './b.js' } }, 'x')).toEqual({ evil: 'a.js', ok: 'out.js', good: 'b.js' });
    expect(unbundledDependencies({ dependencies: { a: '1' }, optionalDependencies: { b: '1' }, peerDependencies: { c: '1', d: '1' }, peerDependenciesMeta: { d: { optional: true } } })).toEqual(['a', 'b', 'c']);
    expect(unbundledDependencies({ dependencies: { a: '1' }, bundleDependencies: true })).toEqual([]);
    expect(unbundledDependencies({ dependencies: { a: '1', b: '2' }, bundledDependencies: ['a'] })).toEqual(['b']);
    expect(strongestIntegrity('sha1-AAAA sha512-BBBB== sha256-CC')).toMatchObject({ algorithm: 'sha512', text: 'sha512-BBBB==' });
    expect(strongestIntegrity('md5-xyz')).toBeUndefined();
  });
});

describe('derived image artifacts in recipes', () => {
  const recipe = (images: unknown[], params: unknown[] = []) =>
    RecipeSchema.parse({ format: 'ferry.recipe.v1', id: 'r', title: 'R', version: '1', parameters: params, artifacts: { images } });
  const base = { id: 'base', source: 'registry.example/base', tag: 'v1' };
  const derived = (extra: Record<string, unknown> = {}) => ({ id: 'tool', from: 'base', npm: { package: '@acme/tool', version: '${v}' }, target: 'tool', ...extra });

  it('checks that from names an image artifact, that bases do not loop, and that npm fields use acquire parameters', () => {
    const v = [{ name: 'v', type: 'string', default: '1.0.0' }];
    expect(checkRecipe(recipe([base, derived()], v))).toEqual([]);
    expect(checkRecipe(recipe([base, derived({ from: 'nope' })], v))).toEqual(['artifacts.images.1.from: no image artifact "nope"']);
    const loop = checkRecipe(recipe([base, derived({ id: 'a', from: 'b' }), derived({ id: 'b', from: 'a' })], v));
    expect(loop).toContain('artifacts.images.1.from: "a" is built on itself (a → b → a)');
    expect(checkRecipe(recipe([base, derived()]))).toEqual(['artifacts.images.1.npm.version: ${v} is not an acquire parameter of this recipe']);
    const bad = RecipeSchema.safeParse({ format: 'ferry.recipe.v1', id: 'r', title: 'R', version: '1', artifacts: { images: [{ id: 'x', from: 'base', npm: { package: 'p' }, target: 't' }] } });
    expect(bad.error?.issues[0]).toMatchObject({ path: ['artifacts', 'images', 0], message: expect.stringMatching(/^npm\.version: /) });
  });

  it('plans derived images bases first with the default registry, and refuses one whose base is switched off', () => {
    const params = [{ name: 'v', type: 'string', default: '1.0.0' }, { name: 'on', type: 'bool', default: true }];
    const r = recipe([derived({ id: 'top', from: 'tool', target: 'top' }), base, derived()], params);
    const plan = expandRecipe(r, { v: '2.0.0', on: true });
    // The public npm registry is only named here (parsed, never contacted).
    expect(DEFAULT_NPM_REGISTRY).toMatch(/^https:\/\/registry\.npmjs\.org$/);
    expect(plan.derived!.map((d) => `${d.id}<${d.from}:${d.package}@${d.version}:${d.registry}`)).toEqual([`tool<base:@acme/tool@2.0.0:${DEFAULT_NPM_REGISTRY}`, `top<tool:@acme/tool@2.0.0:${DEFAULT_NPM_REGISTRY}`]);
    const off = recipe([{ ...base, when: { on: true } }, derived()], params);
    expect(() => expandRecipe(off, { v: '1.0.0', on: false })).toThrow(/"tool" is built on "base", which these parameters leave out/);
  });
});
