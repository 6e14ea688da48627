import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadModelFileResumable } from '../../src/main/acquire/hub-download';
import { withRetry } from '../../src/main/acquire/retry';
import { resolveModel } from '../../src/main/hub/hub-client';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy';
import { startHubServer, type HubServer } from '../harness/hub-server';
import { tempDir } from '../harness/temp';

// A large model file fetched as several ranges at once (the threshold lowered from 1 GiB to 1 MiB
// so a 40 MiB file takes three 16 MiB ranges): the bytes are handed on in order, hashed in the
// same pass, and a range cut short is continued from the prefix already written. Loopback only.
const MiB = 1 << 20;
const SIZE = 40 * MiB;
const MODEL = 'acme/ranged';
const FILE = 'model.safetensors';
const tmp = tempDir('ferry-hub-ranged-');
let hub: HubServer;
let proxy: FaultProxy;

beforeAll(async () => {
  hub = await startHubServer({ repos: { [MODEL]: { files: { [FILE]: { size: SIZE, seed: 9 } } } } });
  proxy = await startFaultProxy(hub.url);
});

afterAll(async () => {
  await Promise.allSettled([hub?.stop(), proxy?.stop()]);
  tmp.cleanup();
});

const cdnRanges = (gen: number): string[] => proxy.log.filter((e) => e.gen === gen && e.method === 'GET' && e.path.startsWith('/cdn/')).map((e) => e.range ?? 'whole');

async function download(gen: number, dest: string): Promise<{ sha256: string; size: number }> {
  proxy.generation = gen;
  const m = await resolveModel({ repo: MODEL }, { hubUrl: proxy.url });
  const f = m.files.find((x) => x.path === FILE)!;
  return withRetry(() => downloadModelFileResumable(m, { path: f.path, size: f.size, sha256: f.sha256! }, dest, { hubUrl: proxy.url, rangedAbove: MiB }), { baseMs: 5 });
}

describe('a large model file over ranges', () => {
  it('fetches the ranges at once and hands them on in order: the file and its hash are whole', async () => {
    const dest = join(tmp.path, 'a', FILE);
    const got = await download(1, dest);
    const want = createHash('sha256').update(readFileSync(dest)).digest('hex');
    expect(got).toEqual({ sha256: want, size: SIZE });
    expect(cdnRanges(1).sort()).toEqual([`bytes=0-${16 * MiB - 1}`, `bytes=${16 * MiB}-${32 * MiB - 1}`, `bytes=${32 * MiB}-${SIZE - 1}`]);
  });

  it('a range cut short: the retry continues from the prefix written, and the file verifies', async () => {
    const rule = proxy.inject({ match: `/cdn/`, fault: { truncateAfter: 300 * 1024 }, times: 1 });
    const dest = join(tmp.path, 'b', FILE);
    const got = await download(2, dest);
    rule.remove();
    expect(rule.hits).toBe(1);
    const whole = await download(3, join(tmp.path, 'c', FILE));
    expect(got).toEqual(whole);
    // The cut range was the first; the retry asked from where the written prefix ended, never below it.
    const ranges = cdnRanges(2);
    expect(ranges[0]).toBe(`bytes=0-${16 * MiB - 1}`);
    expect(ranges).toContain(`bytes=${300 * 1024}-${300 * 1024 + 16 * MiB - 1}`);
    expect(ranges.slice(1).every((r) => Number(/^bytes=(\d+)-/.exec(r)?.[1]) >= 300 * 1024)).toBe(true);
  });
});
