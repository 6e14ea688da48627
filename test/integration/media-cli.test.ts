import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mediaCommand } from '../../src/main/cli/commands/media';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import type { VolumeVerifyResult } from '../../src/main/media/read';
import type { MediaWriteView } from '../../src/shared/api-media';
import { tempDir } from '../harness/temp';

const MiB = 1024 * 1024;
const t = tempDir('ferry-media-cli-');
afterAll(() => t.cleanup());
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

/** Runs `ferry media …` in this process and returns what it printed on stdout. */
async function media(args: string[]): Promise<{ out: string; code: number }> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += c.toString()), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const cmd = mediaCommand();
  const override = (c: Command): void => void c.exitOverride().commands.forEach(override);
  override(cmd);
  process.exitCode = undefined;
  await cmd.parseAsync(args, { from: 'user' });
  vi.restoreAllMocks();
  return { out, code: typeof process.exitCode === 'number' ? process.exitCode : 0 };
}

let bundle: string;
beforeAll(async () => {
  bundle = join(t.path, 'bundle');
  mkdirSync(join(bundle, 'models/org--m'), { recursive: true });
  const files = { 'config.json': randomBytes(300), 'model.safetensors': randomBytes(9 * MiB) };
  const list = Object.entries(files).map(([path, b]) => {
    writeFileSync(join(bundle, 'models/org--m', path), b);
    return { path, size: b.length, sha256: createHash('sha256').update(b).digest('hex') };
  });
  const m: BundleManifest = {
    format: BUNDLE_FORMAT, bundleId: '1b9c7a52-3f4e-4d8a-8a4b-2c1d0e9f8a77', createdAt: '2026-11-23T06:00:00.000+00:00', createdBy: { actor: 'op', station: 's' }, tool: { name: 'ferry', version: '0.1.0' },
    artifacts: [{ kind: 'model', name: 'org/m', source: 'http://127.0.0.1/org/m', hubUrl: 'http://127.0.0.1', repo: 'org/m', requestedRevision: 'main', revision: 'c'.repeat(40), dir: 'models/org--m', size: 9 * MiB + 300, files: list }],
    files: list.map((f) => ({ ...f, path: `models/org--m/${f.path}` })),
  };
  await writeManifest(bundle, m);
});

describe('ferry media (folders as targets)', () => {
  const dataDir = (): string => join(t.path, 'data');

  it('plans with a human table and as JSON', async () => {
    const human = await media(['plan', bundle, '--no-kit', '--volume-size', '4MiB', '--fs', 'fat32']);
    expect(human.out).toMatch(/→ 3 volume\(s\), fat32 rules/);
    expect(human.out).toContain('split: models/org--m/model.safetensors → 3 parts on volume 1, 2, 3');
    const json = JSON.parse((await media(['plan', bundle, '--no-kit', '--volume-size', '4MiB', '--json'])).out) as { volumes: unknown[]; splitFiles: number };
    expect(json.volumes).toHaveLength(3);
    await expect(media(['plan', bundle, '--no-kit', '--volume-size', '4 bananas'])).rejects.toThrow(/not a size/);
  });

  it('writes, verifies (exit 1 on a missing volume) and assembles', async () => {
    const vols = [1, 2, 3].map((i) => join(t.path, `vol${i}`));
    vols.forEach((v) => mkdirSync(v));
    const w = await media(['write', bundle, '--no-kit', '--to', ...vols, '--volume-size', '4MiB', '--fs', 'exfat', '--json', '--data-dir', dataDir(), '--unapproved-reason', 'test bundle, no reviewer on this station']);
    expect(w.code).toBe(0);
    const r = JSON.parse(w.out) as MediaWriteView;
    expect(r.complete).toBe(true);
    expect(r.volumes.map((v) => `${v.volume} of ${v.count}`)).toEqual(['1 of 3', '2 of 3', '3 of 3']);
    const ok = await media(['verify', vols[2]!, vols[0]!, vols[1]!, '--data-dir', dataDir()]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^OK: bundle 1b9c7a52-.*3 of 3 volume\(s\)/);
    const bad = await media(['verify', vols[2]!, vols[0]!, '--json', '--data-dir', dataDir()]);
    expect(bad.code).toBe(1);
    expect((JSON.parse(bad.out) as VolumeVerifyResult).problems).toContainEqual(expect.objectContaining({ kind: 'missing-volume', volume: '2 of 3' }));
    // A `.partial` Ferry did not make in this call is never removed: assembly refuses and names it.
    const foreign = join(t.path, 'taken.partial');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'keep.txt'), 'not Ferry\'s');
    await expect(media(['assemble', ...vols, '--out', join(t.path, 'taken'), '--data-dir', dataDir()])).rejects.toThrow(/taken\.partial already exists; nothing was changed/);
    expect(readFileSync(join(foreign, 'keep.txt'), 'utf8')).toBe("not Ferry's");
    const a = await media(['assemble', ...vols.reverse(), '--out', join(t.path, 'out'), '--data-dir', dataDir()]);
    expect(a.out).toContain('2 files (1 joined from parts)');
  });

  it('refuses a target that is not empty', async () => {
    const dir = join(t.path, 'used');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'x');
    await expect(media(['write', bundle, '--no-kit', '--to', dir, '--data-dir', dataDir(), '--unapproved-reason', 'test bundle, no reviewer on this station'])).rejects.toThrow(/not empty \(it holds notes.txt\)/);
  });
});
