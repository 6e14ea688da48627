import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import { verifyBundle, verifyWork } from '../../src/main/bundle/verify';
import type { Progress } from '../../src/main/jobs/progress';
import { HashPool } from '../../src/main/hash/hash-pool';
import { tempDir } from '../harness/temp';

// Issue 14: verify was super-linear in layers (a per-group scan of every problem): 10k layers took
// 10 s, 30k more than 120 s. Work is counted with verify's own deterministic step counter (every
// path grouped, every manifest entry checked), so the bound does not depend on the machine's speed.

const pool = new HashPool(1);
afterAll(() => pool.close());
let t: ReturnType<typeof tempDir>;
beforeEach(() => (t = tempDir('ferry-scale-')));
afterEach(() => t.cleanup());

const hex = (s: string): string => createHash('sha256').update(s).digest('hex');
const progress: Progress = { signal: new AbortController().signal, phase: () => undefined, item: () => undefined, itemState: () => undefined, advance: () => undefined };

/** A manifest of `layers` layers in images of 1,000, none of whose blobs is present: every blob is a problem. */
async function syntheticBundle(layers: number): Promise<string> {
  const dir = join(t.path, `b${layers}`);
  mkdirSync(dir, { recursive: true });
  const artifacts: BundleManifest['artifacts'] = [];
  const files: BundleManifest['files'] = [];
  for (let i = 0; i * 1000 < layers; i++) {
    const manifest = hex(`m${i}`);
    const config = hex(`c${i}`);
    const ls = Array.from({ length: Math.min(1000, layers - i * 1000) }, (_, j) => hex(`l${i}.${j}`));
    artifacts.push({
      kind: 'image', name: `r.example/org/img${i}:1`, source: `r.example/org/img${i}`, registry: 'r.example', repository: `org/img${i}`, tag: '1',
      digest: `sha256:${manifest}`, mediaType: 'application/vnd.oci.image.manifest.v1+json', platform: 'linux/amd64', size: 1, config: `sha256:${config}`, layers: ls.map((l) => `sha256:${l}`),
    });
    for (const h of [manifest, config, ...ls]) files.push({ path: `images/blobs/sha256/${h}`, size: 1, sha256: h });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  await writeManifest(dir, { format: BUNDLE_FORMAT, bundleId: '6f1c1f0e-2d5b-4a53-9a53-1f6f0e6b7c11', createdAt: 'x', createdBy: { actor: 'op', station: 's' }, tool: { name: 'ferry', version: '0' }, artifacts, files });
  return dir;
}

async function work(layers: number): Promise<{ steps: number; problems: number; ms: number }> {
  const dir = await syntheticBundle(layers);
  verifyWork.steps = 0;
  const start = Date.now();
  const r = await verifyBundle(dir, pool, progress);
  return { steps: verifyWork.steps, problems: r.problems.length, ms: Date.now() - start };
}

describe('verify scales linearly in layers', () => {
  it('10k vs 40k layers: 4x the layers costs at most 5x the work, every missing blob named; 30k layers within 30 s', async () => {
    const small = await work(10_000);
    const large = await work(40_000);
    expect(small.problems).toBeGreaterThanOrEqual(10_000);
    expect(large.problems).toBeGreaterThanOrEqual(40_000);
    expect(large.steps / small.steps).toBeLessThan(5);
    // Per layer, a small constant number of steps (grouping + consistency), not a scan of the others.
    expect(large.steps / 40_000).toBeLessThan(12);
    const mid = await work(30_000);
    expect(mid.ms).toBeLessThan(30_000);
  }, 120_000);
});
