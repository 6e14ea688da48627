import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustodyEvent, ImportResult } from '../../src/shared/api';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import { ferry } from '../harness/ferry-cli';
import { tempDir } from '../harness/temp';

// The built CLI across the gap on folders: media write → plain `ferry verify` and `ferry import` on the volumes.
const MiB = 1 << 20;
const t = tempDir('ferry-media-flow-');
const weights = randomBytes(6 * MiB);
afterAll(() => t.cleanup());

async function makeBundle(dir: string, blocked: boolean): Promise<void> {
  mkdirSync(join(dir, 'models/org--m'), { recursive: true });
  const files = { 'config.json': Buffer.from('{"a":1}'), 'model.safetensors': weights };
  const list = Object.entries(files).map(([path, b]) => {
    writeFileSync(join(dir, 'models/org--m', path), b);
    return { path, size: b.length, sha256: createHash('sha256').update(b).digest('hex') };
  });
  const m: BundleManifest = {
    format: BUNDLE_FORMAT,
    bundleId: blocked ? '0d6a5b8e-1c2f-4e3a-9b7c-5d4e3f2a1b0c' : '7e3c1a9b-5d2f-4b8e-a6c4-1f0e9d8c7b6a',
    createdAt: '2026-11-23T06:00:00.000+00:00',
    createdBy: { actor: 'op', station: 'low' },
    tool: { name: 'ferry', version: '0.1.0' },
    artifacts: [{ kind: 'model', name: 'org/m', source: 'http://127.0.0.1/org/m', hubUrl: 'http://127.0.0.1', repo: 'org/m', requestedRevision: 'main', revision: 'd'.repeat(40), dir: 'models/org--m', size: weights.length + 7, files: list }],
    files: list.map((f) => ({ ...f, path: `models/org--m/${f.path}` })),
    scan: { scannedAt: '2026-11-23T06:00:01.000+00:00', blocked },
  };
  await writeManifest(dir, m);
}

const low = join(t.path, 'low');
const high = join(t.path, 'high');
const bundle = join(t.path, 'bundle');
const vols = [1, 2, 3].map((i) => join(t.path, `vol${i}`));

beforeAll(async () => {
  await makeBundle(bundle, false);
  await makeBundle(join(t.path, 'blocked'), true);
  for (const v of [...vols, join(t.path, 'never')]) mkdirSync(v);
});

describe('bundles on media, through the plain verify and import commands', () => {
  it('writes across volumes and records volume ids in custody', async () => {
    const r = await ferry(['media', 'write', bundle, '--no-kit', '--unapproved-reason', 'test fixture, not reviewed', ...vols.flatMap((v) => ['--to', v]), '--volume-size', '3MiB', '--fs', 'fat32', '--data-dir', low, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const written = (await ferry(['custody', 'log', '--data-dir', low, '--json'])).json<CustodyEvent[]>().find((e) => e.type === 'written');
    expect((written?.details.volumes as unknown[]).length).toBeGreaterThanOrEqual(2);
  });

  it('verifies and imports from the volumes given in shuffled order', async () => {
    const used = vols.filter((v) => { try { readFileSync(join(v, 'FERRY-VOLUME.json')); return true; } catch { return false; } });
    const shuffled = [...used].reverse();
    const v = await ferry(['verify', ...shuffled, '--data-dir', high]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^OK: bundle 7e3c1a9b/);
    const models = join(t.path, 'models');
    const imp = await ferry(['import', ...shuffled, '--models-dir', models, '--data-dir', high, '--json']);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.json<ImportResult>().models[0]).toMatchObject({ repo: 'org/m', files: 2 });
    expect(readFileSync(join(models, 'org/m/model.safetensors')).equals(weights)).toBe(true);
  });

  it('names the volume and file when a byte flips on media', async () => {
    const used = vols.filter((v) => { try { readFileSync(join(v, 'FERRY-VOLUME.json')); return true; } catch { return false; } });
    const label = JSON.parse(readFileSync(join(used[1]!, 'FERRY-VOLUME.json'), 'utf8')) as { files: { path: string; part?: unknown }[] };
    const victim = label.files.find((f) => f.path.endsWith('model.safetensors'))!;
    const onDisk = join(used[1]!, victim.part ? `${victim.path}.part${String((victim.part as { index: number }).index).padStart(4, '0')}` : victim.path);
    const b = readFileSync(onDisk);
    b[10] ^= 0xff;
    writeFileSync(onDisk, b);
    const r = await ferry(['verify', ...used, '--data-dir', high]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/volume 2 of \d.*model\.safetensors/);
  });

  it('refuses to write a bundle blocked by a dangerous scan finding', async () => {
    const r = await ferry(['media', 'write', join(t.path, 'blocked'), '--to', join(t.path, 'never'), '--data-dir', low]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unresolved blocking scan finding/);
  });
});
