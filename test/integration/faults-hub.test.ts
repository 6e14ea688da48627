import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../src/shared/api';
import { safetensorsPrefix } from '../harness/demo-stack';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy';
import { startHubServer, type HubServer } from '../harness/hub-server';
import { tempDir } from '../harness/temp';
import { cli, listFiles } from './faults-helpers';

// A hub that truncates bodies, lies about their size or alters them, through the fault proxy in
// front of the hub stand-in. A short body is continued with Range; a wrong size is refused before
// a byte is kept; altered bytes fail the file's sha256; in every case nothing becomes visible
// (no model file under its name, no bundle). Contacted: loopback only.
const KiB = 1024;
const SIZE = 1536 * KiB;
const MODEL = 'acme/tiny';
const FILE = 'model.safetensors';
const tmp = tempDir('ferry-faults-hub-');
let hub: HubServer;
let proxy: FaultProxy;
let n = 0;

beforeAll(async () => {
  hub = await startHubServer({ repos: { [MODEL]: { files: { 'config.json': Buffer.from('{"model_type":"mistral"}'), [FILE]: { size: SIZE, seed: 5, prefix: safetensorsPrefix(SIZE) } } } } });
  proxy = await startFaultProxy(hub.url);
});

afterAll(async () => {
  await Promise.allSettled([hub?.stop(), proxy?.stop()]);
  tmp.cleanup();
});

async function create(gen: number): Promise<{ out: string; data: string; run: Awaited<ReturnType<typeof cli>> }> {
  const out = join(tmp.path, `b${++n}`);
  const data = join(tmp.path, `data${n}`);
  proxy.generation = gen;
  const run = await cli(['bundle', 'create', '--model', MODEL, '--hub-url', proxy.url, '--out', out, '--data-dir', data, '--json']);
  return { out, data, run };
}

const cdnGets = (gen: number) => proxy.log.filter((e) => e.gen === gen && e.method === 'GET' && e.path.startsWith('/cdn/') && e.path.includes(FILE));
/** Nothing under the model file's name: neither in the bundle nor in its partial folder. */
function nothingVisible(out: string): void {
  expect(existsSync(out)).toBe(false);
  expect([...listFiles(`${out}.partial`).keys()].filter((f) => f.endsWith(`/${FILE}`))).toEqual([]);
}

describe('a failing hub', () => {
  it('a body cut short (no Content-Length): the retry continues with Range; the file verifies', async () => {
    const rule = proxy.inject({ match: `/${FILE}?`, fault: { truncateAfter: 300 * KiB }, times: 1 });
    const { out, data, run } = await create(1);
    rule.remove();
    expect(run.code, run.stderr).toBe(0);
    const gets = cdnGets(1);
    expect(gets.map((e) => [e.status, e.bytes])).toEqual([[200, 300 * KiB], [206, SIZE - 300 * KiB]]);
    expect(gets[1]!.range).toBe(`bytes=${300 * KiB}-`);
    const v = await cli(['verify', out, '--data-dir', data, '--json']);
    expect(v.json<VerifyResult>()).toMatchObject({ ok: true, problems: [] });
  });

  it('a Content-Length smaller than the file (and a body to match): refused, naming the file; nothing visible', async () => {
    const rule = proxy.inject({ match: `/${FILE}?`, fault: { lieLength: SIZE - 4096 } });
    const { out, run } = await create(2);
    rule.remove();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${FILE} in ${MODEL}`);
    expect(run.stderr).toMatch(new RegExp(`serves ${SIZE - 4096} bytes.*says ${SIZE} bytes`));
    nothingVisible(out);
  });

  it('a Content-Length larger than the body: the connection ends early, retried, then a clear error; nothing visible', async () => {
    const rule = proxy.inject({ match: `/${FILE}?`, fault: { lieLength: SIZE + 4096 } });
    const { out, run } = await create(3);
    rule.remove();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${FILE} in ${MODEL}`);
    nothingVisible(out);
  });

  it('bytes altered on the wire (size unchanged): the sha256 catches it, the partial is dropped, and a persistent fault is a clear error', async () => {
    const rule = proxy.inject({ match: `/${FILE}?`, fault: { corruptAt: 700 * KiB } });
    const { out, run } = await create(4);
    rule.remove();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`${FILE}: sha256 [0-9a-f]{64} does not match the expected [0-9a-f]{64}`));
    // fetched whole twice (one retry from byte 0 after a hash mismatch), never resumed from the bad partial
    expect(cdnGets(4).map((e) => e.range)).toEqual([undefined, undefined]);
    expect([...listFiles(`${out}.partial`).keys()].filter((f) => f.includes(FILE))).toEqual([]);
    nothingVisible(out);
  });

  it('bytes altered once: the file is fetched again from the start and the bundle verifies', async () => {
    const rule = proxy.inject({ match: `/${FILE}?`, fault: { corruptAt: 100 }, times: 1 });
    const { out, data, run } = await create(5);
    rule.remove();
    expect(run.code, run.stderr).toBe(0);
    expect(cdnGets(5).map((e) => e.bytes)).toEqual([SIZE, SIZE]);
    const v = await cli(['verify', out, '--data-dir', data, '--json']);
    expect(v.json<VerifyResult>()).toMatchObject({ ok: true, problems: [] });
  });
});
