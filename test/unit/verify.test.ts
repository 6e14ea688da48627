import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobItem } from '../../src/shared/api';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import { verifyBundle } from '../../src/main/bundle/verify';
import type { Progress } from '../../src/main/jobs/progress';
import { HashPool } from '../../src/main/hash/hash-pool';
import { tempDir } from '../harness/temp';

const pool = new HashPool(2);
afterAll(() => pool.close());

function progress(): Progress & { items: Map<string, JobItem> } {
  const items = new Map<string, JobItem>();
  return {
    items,
    signal: new AbortController().signal,
    phase: () => undefined,
    item: (id, label, bytesTotal) => void items.set(id, { id, label, bytesTotal, bytesDone: 0, state: 'pending' }),
    itemState: (id, state) => void (items.get(id)!.state = state),
    advance: (n, id) => void (id && (items.get(id)!.bytesDone += n)),
  };
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
let t: ReturnType<typeof tempDir>;

/** A model-only bundle written by hand: config.json and weights.safetensors. */
async function makeBundle(): Promise<string> {
  const dir = join(t.path, 'bundle');
  const files = { 'config.json': Buffer.from('{"a":1}'), 'weights.safetensors': Buffer.alloc(300_000, 7) };
  mkdirSync(join(dir, 'models/org--m'), { recursive: true });
  for (const [p, b] of Object.entries(files)) writeFileSync(join(dir, 'models/org--m', p), b);
  const list = Object.entries(files).map(([path, b]) => ({ path, size: b.length, sha256: sha(b) }));
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    bundleId: '6f1c1f0e-2d5b-4a53-9a53-1f6f0e6b7c11',
    createdAt: '2026-11-23T06:00:00.000+00:00',
    createdBy: { actor: 'op', station: 's' },
    tool: { name: 'ferry', version: '0.1.0' },
    artifacts: [{ kind: 'model', name: 'org/m', source: 'http://127.0.0.1/org/m', hubUrl: 'http://127.0.0.1', repo: 'org/m', requestedRevision: 'main', revision: 'a'.repeat(40), dir: 'models/org--m', size: 300_007, files: list }],
    files: list.map((f) => ({ ...f, path: `models/org--m/${f.path}` })),
  };
  await writeManifest(dir, manifest);
  return dir;
}

beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

describe('verifyBundle', () => {
  it('accepts an intact bundle and reports bytes per artifact', async () => {
    const dir = await makeBundle();
    const p = progress();
    const r = await verifyBundle(dir, pool, p);
    expect(r).toMatchObject({ ok: true, checkedFiles: 2, checkedBytes: 300_007, problems: [] });
    expect(p.items.get('model:org/m')).toMatchObject({ bytesDone: 300_007, state: 'done' });
  });

  it('names a changed byte, a missing file, an extra file, a resized file and a symlink', async () => {
    const dir = await makeBundle();
    const w = join(dir, 'models/org--m/weights.safetensors');
    const buf = Buffer.alloc(300_000, 7);
    buf[123_456] = 8;
    writeFileSync(w, buf);
    writeFileSync(join(dir, 'models/org--m/extra.bin'), 'x');
    symlinkSync('/etc/passwd', join(dir, 'models/link'));
    const r1 = await verifyBundle(dir, pool, progress());
    expect(r1.ok).toBe(false);
    expect(r1.problems.map((p) => [p.kind, p.path])).toEqual([
      ['unsafe-path', 'models/link'],
      ['extra', 'models/org--m/extra.bin'],
      ['mismatch', 'models/org--m/weights.safetensors'],
    ]);
    appendFileSync(join(dir, 'models/org--m/config.json'), ' ');
    const r2 = await verifyBundle(dir, pool, progress());
    expect(r2.problems.find((p) => p.path.endsWith('config.json'))?.kind).toBe('size');
  });

  it('reports a damaged manifest instead of throwing', async () => {
    const dir = await makeBundle();
    writeFileSync(join(dir, 'manifest.json'), '{"format":"ferry.bundle.v1","bundleId":"nope"}');
    const r = await verifyBundle(dir, pool, progress());
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ kind: 'manifest', path: 'manifest.json' });
  });

  it('refuses manifest paths that would escape the bundle', async () => {
    const dir = await makeBundle();
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    m.files[0].path = '../../etc/shadow';
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    const r = await verifyBundle(dir, pool, progress());
    expect(r.problems[0]!.detail).toMatch(/files\.0\.path/);
  });
});
