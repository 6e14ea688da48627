import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { pushStandIn, randomLayer, standIn } from './acquire-helpers';
import { cli, listFiles, seeded, spawnCli, until } from './faults-helpers';

// kill -9 at seeded random points of `ferry media write`, then the same command: the volume of the
// same bundle is continued (not refused as "not empty"), every file already written and verified
// stays as it was (same inode and mtime: not written twice), and the volume verifies.
const MiB = 1 << 20;
const tmp = tempDir('ferry-faults-media-');
let registry: TestRegistry;
const bundle = join(tmp.path, 'bundle');
const data = join(tmp.path, 'data');
const layers = Array.from({ length: 8 }, () => randomLayer(MiB));
const TOTAL = layers.length * MiB;

beforeAll(async () => {
  registry = await startRegistry();
  await pushStandIn(registry.host, 'team/app', ['1'], standIn(layers));
  const r = await cli(['bundle', 'create', '--image', `${registry.host}/team/app:1`, '--out', bundle, '--data-dir', data, '--json']);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await registry?.stop();
  tmp.cleanup();
});

/** Complete (renamed into place) files on the volume, with what identifies a write: inode and mtime. */
function written(dir: string): Map<string, { ino: number; mtimeMs: number; size: number }> {
  const out = new Map<string, { ino: number; mtimeMs: number; size: number }>();
  for (const [f, size] of listFiles(dir)) {
    if (f.endsWith('.tmp') || f === 'FERRY-VOLUME.json') continue;
    const st = statSync(join(dir, f));
    out.set(f, { ino: st.ino, mtimeMs: st.mtimeMs, size });
  }
  return out;
}

describe('kill -9 of media write at random points, then the same command', () => {
  for (const seed of [5, 22]) {
    it(`seed ${seed}: completes, keeps every file written before the kill, and the volume verifies`, async () => {
      const target = join(tmp.path, `vol-${seed}`);
      mkdirSync(target);
      const args = ['media', 'write', bundle, '--no-kit', '--unapproved-reason', 'fault test fixture', '--to', target, '--volume-size', '64MiB', '--fs', 'fat32', '--data-dir', data, '--json'];
      const killAt = Math.round((0.1 + 0.8 * seeded(seed)()) * TOTAL);
      const run = spawnCli(args);
      await until(() => [...listFiles(target).values()].reduce((s, n) => s + n, 0) >= killAt, `${killAt} bytes on the volume`, run);
      run.child.kill('SIGKILL');
      await run.done;
      const before = written(target);

      const again = await cli(args);
      expect(again.code, again.stderr).toBe(0);
      const after = written(target);
      const rewritten = [...before].filter(([f, w]) => after.get(f)?.ino !== w.ino || after.get(f)?.mtimeMs !== w.mtimeMs);
      expect(rewritten.reduce((s, [, w]) => s + w.size, 0)).toBeLessThanOrEqual(0.15 * TOTAL);
      expect([...listFiles(target).keys()].filter((f) => f.endsWith('.tmp'))).toEqual([]);
      const v = await cli(['verify', target, '--data-dir', join(tmp.path, `offline-${seed}`), '--json']);
      expect(v.code, v.stdout + v.stderr).toBe(0);
    });
  }
});
