import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectUnchanged, hostileWorld, makeGenuineBundle, makeVolumes, runFerry, snapshotTree, startServer, type HostileWorld, type RunningServer } from './harness';

let w: HostileWorld;
let srv: RunningServer;
beforeAll(async () => {
  w = hostileWorld();
  srv = await startServer(w.dataDir);
});
afterAll(async () => {
  await srv?.close();
  w?.cleanup();
});

describe('hostile harness', () => {
  it('builds a genuine bundle and volumes that verify, and the server answers GET /', async () => {
    const before = w.snapshot();
    const dir = join(w.bundles, 'b');
    await makeGenuineBundle(dir, { files: true });
    const snap = snapshotTree(dir);
    const r = await runFerry(['verify', dir], { dataDir: w.dataDir });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expectUnchanged(snap, snapshotTree(dir), 'bundle');
    const vols = [join(w.bundles, 'v1')];
    await makeVolumes(dir, vols);
    const m = await runFerry(['media', 'verify', ...vols], { dataDir: w.dataDir });
    expect(m.code, m.stderr + m.stdout).toBe(0);
    expect(await srv.getRoot()).toBeGreaterThan(0);
    w.expectCanaryUnchanged(before);
  });
});
