import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseNvidiaSmi, queryGpus } from '../../src/main/install/engine/nvidia-smi';
import { FerryError } from '../../src/shared/errors';
import { tempDir } from '../harness/temp';

// Shaped like `nvidia-smi --query-gpu=index,name,uuid,memory.total,memory.used,memory.free,driver_version
// --format=csv,noheader,nounits` on each host kind (free = total − used − the driver's reserved share).
const H100_CSV = '0, NVIDIA H100 80GB HBM3, GPU-3f8e5c1a-7b2d-4e9f-a1c6-2d8b9e0f4a17, 81559, 1, 81004, 550.90.07\n';
const A10X2_CSV = [
  '0, NVIDIA A10, GPU-8a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9, 23028, 0, 22515, 535.183.01',
  '1, NVIDIA A10, GPU-19f0e2d3-c4b5-46a7-9881-7a6b5c4d3e2f, 23028, 0, 22515, 535.183.01',
  '',
].join('\n');
const A100X8_CSV = [
  '0, NVIDIA A100-SXM4-80GB, GPU-0d6c1a52-94f3-3b77-8e21-5c0f9a2b7d10, 81920, 40311, 41142, 535.161.08',
  '1, NVIDIA A100-SXM4-80GB, GPU-1e7d2b63-a504-4c88-9f32-6d1f0b3c8e21, 81920, 40311, 41142, 535.161.08',
  '2, NVIDIA A100-SXM4-80GB, GPU-2f8e3c74-b615-4d99-a043-7e2f1c4d9f32, 81920, 4, 81449, 535.161.08',
  '3, NVIDIA A100-SXM4-80GB, GPU-3a9f4d85-c726-4eaa-b154-8f3a2d5eaa43, 81920, 4, 81449, 535.161.08',
  '4, NVIDIA A100-SXM4-80GB, GPU-4ba05e96-d837-4fbb-c265-9a4b3e6fbb54, 81920, 4, 81449, 535.161.08',
  '5, NVIDIA A100-SXM4-80GB, GPU-5cb16fa7-e948-4acc-d376-ab5c4f7acc65, 81920, 4, 81449, 535.161.08',
  '6, NVIDIA A100-SXM4-80GB, GPU-6dc270b8-fa59-4bdd-e487-bc6d5a8bdd76, 81920, 4, 81449, 535.161.08',
  '7, NVIDIA A100-SXM4-80GB, GPU-7ed381c9-0b6a-4cee-f598-cd7e6b9cee87, 81920, 4, 81449, 535.161.08',
].join('\n');

const tmp = tempDir('ferry-smi-');
afterAll(() => tmp.cleanup());

function fakeSmi(name: string, body: string): string {
  const path = join(tmp.path, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('parseNvidiaSmi', () => {
  test('one H100 80 GB', () => {
    expect(parseNvidiaSmi(H100_CSV)).toEqual([
      {
        index: 0,
        name: 'NVIDIA H100 80GB HBM3',
        uuid: 'GPU-3f8e5c1a-7b2d-4e9f-a1c6-2d8b9e0f4a17',
        memoryTotalMiB: 81559,
        memoryUsedMiB: 1,
        memoryFreeMiB: 81004,
        driverVersion: '550.90.07',
      },
    ]);
  });

  test('two A10s, blank trailing line, CRLF', () => {
    const gpus = parseNvidiaSmi(A10X2_CSV.replace(/\n/g, '\r\n'));
    expect(gpus.map((g) => [g.index, g.name, g.memoryTotalMiB])).toEqual([
      [0, 'NVIDIA A10', 23028],
      [1, 'NVIDIA A10', 23028],
    ]);
  });

  test('eight A100s with memory in use on two', () => {
    const gpus = parseNvidiaSmi(A100X8_CSV);
    expect(gpus).toHaveLength(8);
    expect(gpus.filter((g) => g.memoryUsedMiB > 1000).map((g) => g.index)).toEqual([0, 1]);
    expect(gpus[7]).toMatchObject({ uuid: 'GPU-7ed381c9-0b6a-4cee-f598-cd7e6b9cee87', memoryFreeMiB: 81449, driverVersion: '535.161.08' });
  });

  test('[N/A] memory.used is derived from total and free', () => {
    const [g] = parseNvidiaSmi('0, NVIDIA L40S, GPU-aa, 46068, [N/A], 45000, 550.54.15');
    expect(g).toMatchObject({ memoryUsedMiB: 1068, memoryFreeMiB: 45000 });
  });

  test('a bad line is a FerryError naming the line', () => {
    const csv = `${H100_CSV}No devices were found, oops\n`;
    expect(() => parseNvidiaSmi(csv)).toThrow(FerryError);
    expect(() => parseNvidiaSmi(csv)).toThrow(/line 2 .*expected 7 fields.*No devices were found, oops/);
    expect(() => parseNvidiaSmi('x, NVIDIA A10, GPU-1, 23028, 0, 22515, 535.1')).toThrow(/line 1 .*index "x"/);
    expect(() => parseNvidiaSmi('0, NVIDIA A10, GPU-1, lots, 0, 22515, 535.1')).toThrow(/memory.total "lots"/);
  });

  test('empty output is no GPUs', () => {
    expect(parseNvidiaSmi('')).toEqual([]);
  });
});

describe('queryGpus', () => {
  test('runs the binary with the query and parses its output', async () => {
    const bin = fakeSmi('smi-ok', `[ "$1" = "--query-gpu=index,name,uuid,memory.total,memory.used,memory.free,driver_version" ] && [ "$2" = "--format=csv,noheader,nounits" ] || { echo "bad args: $*" >&2; exit 2; }\ncat <<'CSV'\n${A10X2_CSV}CSV`);
    const r = await queryGpus({ bin });
    expect('gpus' in r && r.gpus.map((g) => g.uuid)).toEqual(['GPU-8a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', 'GPU-19f0e2d3-c4b5-46a7-9881-7a6b5c4d3e2f']);
  });

  test('a missing binary says nvidia-smi is not installed', async () => {
    const r = await queryGpus({ bin: join(tmp.path, 'no-such-nvidia-smi') });
    expect(r).toEqual({ error: expect.stringMatching(/^nvidia-smi is not installed/) });
  });

  test('a failing driver comes back as its message', async () => {
    const msg = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.";
    const bin = fakeSmi('smi-nodriver', `echo "${msg}" ; exit 9`);
    const r = await queryGpus({ bin });
    expect(r).toEqual({ error: `nvidia-smi failed: ${msg}` });
  });

  test('garbage output is an error naming the line, not a throw', async () => {
    const bin = fakeSmi('smi-garbage', 'echo "Unknown Error"');
    const r = await queryGpus({ bin });
    expect('error' in r && r.error).toMatch(/line 1 .*Unknown Error/);
  });

  test('a hung nvidia-smi times out', async () => {
    const bin = fakeSmi('smi-hang', 'exec sleep 30');
    const started = Date.now();
    const r = await queryGpus({ bin, timeoutMs: 300 });
    expect(r).toEqual({ error: 'nvidia-smi did not answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
