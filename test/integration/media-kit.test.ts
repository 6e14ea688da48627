import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mediaCommand } from '../../src/main/cli/commands/media';
import { reviewCommand } from '../../src/main/cli/commands/review';
import { verifyCommand } from '../../src/main/cli/commands/verify';
import { readLabel } from '../../src/main/media/label';
import type { MediaWriteView } from '../../src/shared/api-media';
import { createLoopVolume, type LoopVolume } from '../harness/loop-media';
import { tempDir } from '../harness/temp';
import { flipByte, makeFakeKit, makeSmallBundle } from '../unit/media-kit-fixture';

// `ferry media write` puts the offline kit on volume 1 of real loop-device media (ext4): the label
// lists it, verify checks it against kit.json and names a modified file, review shows it, --no-kit
// leaves it off. The CLI commands run in this process.

const MiB = 1024 * 1024;
const t = tempDir('ferry-media-kit-');
const loops: LoopVolume[] = [];
const data = join(t.path, 'data');
const bundle = join(t.path, 'bundle');
let kit: ReturnType<typeof makeFakeKit>;

afterAll(async () => {
  for (const l of loops.splice(0)) await l.stop();
  t.cleanup();
});
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

/** Runs a CLI command in this process; returns what it printed on stdout and its exit code. */
async function run(cmd: Command, args: string[]): Promise<{ out: string; code: number }> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += c.toString()), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const override = (c: Command): void => void c.exitOverride().commands.forEach(override);
  override(cmd);
  process.exitCode = undefined;
  try {
    await cmd.parseAsync(args, { from: 'user' });
  } finally {
    vi.restoreAllMocks();
  }
  return { out, code: typeof process.exitCode === 'number' ? process.exitCode : 0 };
}
const media = (args: string[]) => run(mediaCommand(), args);
const write = (to: string[], extra: string[]) =>
  media(['write', bundle, ...to.flatMap((d) => ['--to', d]), '--volume-size', '4MiB', '--fs', 'ext4', '--data-dir', data, '--unapproved-reason', 'kit test fixture, not reviewed', ...extra]);

beforeAll(async () => {
  await makeSmallBundle(bundle, '5d2e8b1a-7c3f-4e9a-b6d1-0a4c2e8f9b37', [300, 2 * MiB + 5000, 2 * MiB + 7000]);
  kit = makeFakeKit(join(t.path, 'kit'), { nodeBytes: 900 * 1024 });
  for (let i = 0; i < 4; i++) loops.push(await createLoopVolume(16 * MiB));
  loops.push(await createLoopVolume(5 * MiB), await createLoopVolume(16 * MiB));
}, 120_000);

describe('the offline kit on loop-device media, through the CLI', () => {
  it('plans, writes and verifies a set whose volume 1 carries ferry/; a flipped byte in the kit fails verify naming the file; review shows the kit', async () => {
    const plan = await media(['plan', bundle, '--kit', kit.dir, '--volume-size', '4MiB', '--fs', 'ext4', '--data-dir', data]);
    expect(plan.out).toMatch(/offline kit: 6 files, .* on volume 1 \(whole, never split\)/);

    const vols = [loops[0]!.mountPoint, loops[1]!.mountPoint];
    const w = await write(vols, ['--kit', kit.dir, '--json']);
    expect(w.code).toBe(0);
    const r = JSON.parse(w.out) as MediaWriteView;
    expect(r.complete).toBe(true);
    expect(r.volumes[0]).toMatchObject({ volume: 1, kit: { dir: 'ferry', sha256: kit.sha256, version: '0.1.0', platform: 'linux/amd64' } });
    expect(r.volumes.slice(1).every((v) => !v.kit)).toBe(true);
    expect(readFileSync(join(vols[0]!, 'ferry/kit.json')).equals(readFileSync(join(kit.dir, 'kit.json')))).toBe(true);
    const label = await readLabel(vols[0]!);
    expect(label.kit?.sha256).toBe(kit.sha256);
    expect(label.kitFiles).toHaveLength(6);
    expect(label.kitFiles).toContainEqual(expect.objectContaining({ path: 'ferry/app/cli.cjs', sha256: kit.manifest.files.find((f) => f.path === 'app/cli.cjs')!.sha256 }));

    const ok = await media(['verify', ...[...vols].reverse(), '--data-dir', data]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^OK: bundle .* the offline kit matches its kit\.json/);
    expect(ok.out).toContain('Kit: WARNING: kit not covered by an approval');

    const doc = await run(reviewCommand(), [vols[0]!, '--data-dir', data]);
    expect(doc.out).toContain(`Offline kit (ferry/): ferry 0.1.0 (commit ${kit.manifest.ferry.commit}), linux/amd64, node 22.14.0`);
    expect(doc.out).toContain(`digest (kit.json sha256) ${kit.sha256}`);

    flipByte(join(vols[0]!, 'ferry/app/cli.cjs'), 123);
    const bad = await media(['verify', ...vols, '--data-dir', data]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/FAILED: 1 problem\(s\)\n\s+kit\s+volume 1 of \d+ \(.*\)\s+ferry\/app\/cli\.cjs: sha256 /);
    // The plain verify command on the volumes says the same.
    const plain = await run(verifyCommand(), [...vols, '--data-dir', data]);
    expect(plain.code).toBe(1);
    expect(plain.out).toContain('ferry/app/cli.cjs');
  }, 120_000);

  it('a volume 1 smaller than claimed fills up after the kit; the rest continues on volume 2 and the set verifies', async () => {
    const vols = [loops[4]!.mountPoint, loops[5]!.mountPoint];
    const w = await media(['write', bundle, ...vols.flatMap((d) => ['--to', d]), '--volume-size', '12MiB', '--fs', 'ext4', '--data-dir', data, '--unapproved-reason', 'kit test fixture, not reviewed', '--kit', kit.dir, '--json']);
    expect(w.code).toBe(0);
    const r = JSON.parse(w.out) as MediaWriteView;
    expect(r.complete).toBe(true);
    expect(r.volumes[0]).toMatchObject({ kit: { sha256: kit.sha256 }, note: expect.stringMatching(/filled up/) });
    expect(r.volumes[0]!.files).toBeGreaterThan(0); // files written on volume 1 besides the kit
    const ok = await media(['verify', ...vols, '--data-dir', data]);
    expect(ok.out).toMatch(/^OK: /);
  }, 120_000);

  it('--no-kit leaves ferry/ off volume 1 and out of its label', async () => {
    const vols = [loops[2]!.mountPoint, loops[3]!.mountPoint];
    const w = await write(vols, ['--no-kit', '--json']);
    expect(w.code).toBe(0);
    const r = JSON.parse(w.out) as MediaWriteView;
    expect(r.volumes.every((v) => !v.kit)).toBe(true);
    expect(existsSync(join(vols[0]!, 'ferry'))).toBe(false);
    const label = await readLabel(vols[0]!);
    expect(label.kit).toBeUndefined();
    expect(label.kitFiles).toBeUndefined();
    const ok = await media(['verify', ...vols, '--data-dir', data]);
    expect(ok.code).toBe(0);
    expect(ok.out).not.toContain('Kit:');
    const plan = await media(['plan', bundle, '--no-kit', '--volume-size', '4MiB', '--fs', 'ext4', '--data-dir', data]);
    expect(plan.out).toContain('offline kit: not included');
  }, 120_000);
});
