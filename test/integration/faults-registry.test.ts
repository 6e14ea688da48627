import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../src/shared/api';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy';
import { startRegistry, type TestRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { pushStandIn, randomLayer, standIn } from './acquire-helpers';
import { cli, listFiles, QUICK_STALL } from './faults-helpers';

// A failing source registry, through a fault-injecting proxy in front of the real docker-registry:
// 500/503 answers, connections reset mid-blob and stalls. Retries back off (10 ms here), a reset or
// stalled blob continues with Range from what was received, nothing corrupt is kept, and when the
// registry keeps failing the error names the blob and the registry. Contacted: loopback only.
const MiB = 1 << 20;
const tmp = tempDir('ferry-faults-reg-');
let registry: TestRegistry;
let proxy: FaultProxy;
const big = randomLayer(2 * MiB);
const small = randomLayer(64 << 10);
let n = 0;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(`http://${registry.host}`);
  await pushStandIn(registry.host, 'team/app', ['1'], standIn([big, small]));
});

afterAll(async () => {
  await Promise.allSettled([registry?.stop(), proxy?.stop()]);
  tmp.cleanup();
});

/** `ferry bundle create` of the stand-in image through the proxy, in generation `gen` of the proxy log. */
async function create(gen: number): Promise<{ out: string; data: string; run: Awaited<ReturnType<typeof cli>> }> {
  const out = join(tmp.path, `b${++n}`);
  const data = join(tmp.path, `data${n}`);
  proxy.generation = gen;
  const run = await cli(['bundle', 'create', '--image', `${proxy.host}/team/app:1`, '--out', out, '--data-dir', data, '--json'], QUICK_STALL);
  return { out, data, run };
}

async function verifies(out: string, data: string): Promise<void> {
  const v = await cli(['verify', out, '--data-dir', data, '--json']);
  expect(v.json<VerifyResult>()).toMatchObject({ ok: true, problems: [] });
}

const blobGets = (gen: number) => proxy.log.filter((e) => e.gen === gen && e.method === 'GET' && e.path.includes(big.digest));

describe('a failing registry', () => {
  it('503 twice on a blob: retried with backoff, the bundle completes and verifies', async () => {
    const rule = proxy.inject({ match: `/blobs/${big.digest}`, fault: { status: 503 }, times: 2 });
    const { out, data, run } = await create(1);
    rule.remove();
    expect(run.code, run.stderr).toBe(0);
    expect(rule.hits).toBe(2);
    expect(blobGets(1).map((e) => e.status)).toEqual([503, 503, 200]);
    await verifies(out, data);
  });

  it('500 on every try: a clear error naming the blob and the registry, after bounded retries; nothing presented as complete', async () => {
    const rule = proxy.inject({ match: `/blobs/${big.digest}`, fault: { status: 500 } });
    const { out, run } = await create(2);
    rule.remove();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(big.digest);
    expect(run.stderr).toContain(proxy.host);
    expect(run.stderr).toMatch(/HTTP 500.*gave up after 5 attempts/);
    expect(rule.hits).toBe(5);
    expect(existsSync(out)).toBe(false);
    // the blob is not in the partial folder under its verified name
    expect([...listFiles(`${out}.partial`).keys()].filter((f) => f.endsWith(big.digest.slice(7)))).toEqual([]);
  });

  it('the connection reset mid-blob: the retry continues with Range from the bytes received, only bytes lost in flight fetched again, nothing corrupt kept', async () => {
    const rule = proxy.inject({ match: `/blobs/${big.digest}`, fault: { resetAfter: MiB + 12345 }, times: 1 });
    const { out, data, run } = await create(3);
    rule.remove();
    expect(run.code, run.stderr).toBe(0);
    const gets = blobGets(3);
    expect(gets).toHaveLength(2);
    // The proxy counts what it wrote; a reset may drop some of that in flight, so the client resumes from what
    // it actually received: at most what was sent, and never less than the bytes before the reset point it kept.
    const sent = gets[0]!.bytes;
    const from = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range ?? '')?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(sent);
    expect(gets[1]).toMatchObject({ status: 206, bytes: big.size - from });
    // Only bytes lost in flight are fetched again: the two transfers overlap by exactly sent - from.
    expect(proxy.bytes(big.digest, 3)).toBe(big.size + (sent - from));
    await verifies(out, data);
  });

  it('a stalled blob: the stall timeout ends the transfer, the retry resumes it', async () => {
    const rule = proxy.inject({ match: `/blobs/${big.digest}`, fault: { stallAfter: MiB }, times: 1 });
    const { out, data, run } = await create(4);
    rule.remove();
    expect(run.code, run.stderr).toBe(0);
    const gets = blobGets(4);
    expect(gets).toHaveLength(2);
    expect(gets[1]).toMatchObject({ status: 206, range: `bytes=${gets[0]!.bytes}-` });
    expect(proxy.bytes(big.digest, 4)).toBeLessThanOrEqual(big.size * 1.15);
    await verifies(out, data);
  });

  it('a registry that always stalls: a clear timeout error naming the blob and the registry', async () => {
    const rule = proxy.inject({ match: `/blobs/${big.digest}`, fault: { stallAfter: 1000 } });
    const started = Date.now();
    const { out, run } = await create(5);
    rule.remove();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`blob ${big.digest}.*Timed out talking to ${proxy.host.replace(/\./g, '\\.')}.*gave up after 5 attempts`));
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(existsSync(out)).toBe(false);
  });
});
