import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../src/shared/api';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy';
import { startRegistry, type TestRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { pushStandIn, randomLayer, standIn } from './acquire-helpers';
import { cli, spawnCli, until } from './faults-helpers';

// ENOSPC on the bundle output disk: a tmpfs of a few MiB mounted by the test. Too small from the
// start: refused before anything is fetched, naming the folder and the space needed. Filled up
// half-way: a clear error, no bundle presented as complete, the partial kept; once space is freed
// the same command continues from what is on disk. Contacted: loopback only.
const MiB = 1 << 20;
const tmp = tempDir('ferry-faults-disk-');
const disk = join(tmp.path, 'disk');
let mounted = false;
let registry: TestRegistry;
let proxy: FaultProxy;
const big = randomLayer(4 * MiB);
const small = randomLayer(32 << 10);

const mountTmpfs = (size: string, remount = false): void => {
  execFileSync('mount', remount ? ['-o', `remount,size=${size}`, disk] : ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'ferry-faults', disk]);
  mounted = true;
};

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('The ENOSPC fault tests mount a tmpfs: run the integration tests as root (npm test does).');
  mkdirSync(disk);
  mountTmpfs('2m');
  registry = await startRegistry();
  proxy = await startFaultProxy(`http://${registry.host}`);
  await pushStandIn(registry.host, 'team/app', ['1'], standIn([big, small]));
});

afterAll(async () => {
  await Promise.allSettled([registry?.stop(), proxy?.stop()]);
  if (mounted) execFileSync('umount', ['-l', disk]);
  tmp.cleanup();
});

/** Writes `file` until the disk is full. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 << 10);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

const args = (out: string, data: string): string[] => ['bundle', 'create', '--image', `${proxy.host}/team/app:1`, '--out', out, '--data-dir', data, '--json'];

describe('a full output disk', () => {
  it('too small from the start: refused before any blob is fetched, naming the folder and the space needed', async () => {
    const out = join(disk, 'small');
    proxy.generation = 1;
    const r = await cli(args(out, join(tmp.path, 'data1')));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`Not enough space on the disk holding ${out}\\.partial: the bundle needs 5\\.\\d+ MiB more, 2\\.00 MiB are free`));
    // (the image config is read while resolving; no layer is fetched)
    expect(proxy.log.filter((e) => e.gen === 1 && (e.path.includes(big.digest) || e.path.includes(small.digest)))).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  it('filled up half-way: a clear error, nothing presented as complete, the partial kept; freed, the same command continues from the disk', async () => {
    mountTmpfs('16m', true);
    const out = join(disk, 'half');
    const data = join(tmp.path, 'data2');
    let release!: () => void;
    let held!: () => void;
    const onHold = new Promise<void>((r) => (held = r));
    proxy.inject({ match: `/blobs/${big.digest}`, fault: { holdAfter: 1.5 * MiB, until: new Promise<void>((r) => (release = r)), onHold: held }, times: 1 });
    proxy.generation = 2;
    const run = spawnCli(args(out, data));
    const tmpBlob = join(`${out}.partial`, 'images/blobs/sha256', `${big.digest.slice(7)}.tmp`);
    await onHold;
    await until(() => existsSync(tmpBlob) && statSync(tmpBlob).size >= MiB, 'the first MiB of the blob on disk', run);
    // Someone else fills the disk while the blob is on its way.
    const filler = join(disk, 'filler');
    fill(filler);
    expect(Number(statfsSync(disk).bavail)).toBe(0);
    release();
    const first = await run.done;
    expect(first.code).toBe(1);
    expect(first.stderr).toContain(`The disk holding ${out}.partial is full: the bundle needs`);
    expect(first.stderr).toContain('run the same command again');
    expect(existsSync(out)).toBe(false);
    const have = statSync(tmpBlob).size;
    expect(have).toBeGreaterThanOrEqual(MiB);

    rmSync(filler);
    proxy.generation = 3;
    const second = await cli(args(out, data));
    expect(second.code, second.stderr).toBe(0);
    const gets = proxy.log.filter((e) => e.gen === 3 && e.method === 'GET' && e.path.includes(big.digest));
    expect(gets).toEqual([expect.objectContaining({ range: `bytes=${have}-`, status: 206, bytes: big.size - have })]);
    const v = await cli(['verify', out, '--data-dir', data, '--json']);
    expect(v.json<VerifyResult>()).toMatchObject({ ok: true, problems: [] });
  });
});
