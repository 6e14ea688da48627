import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitHealthy, type HealthCheck } from '../../src/main/install/engine/health-wait';
import { CanceledError, FerryError } from '../../src/shared/errors';
import { freePort } from '../harness/ports';

// A real HTTP server on loopback whose answers the test scripts per path.
type Handler = (n: number) => { status: number; body?: string };
let server: Server | undefined;
const hits: string[] = [];

async function serve(routes: Record<string, Handler>): Promise<string> {
  hits.length = 0;
  const counts = new Map<string, number>();
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.push(path);
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    const r = routes[path]?.(n) ?? { status: 404 };
    res.writeHead(r.status, { 'content-type': 'application/json' });
    res.end(r.body ?? '');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function failure(p: Promise<unknown>): Promise<FerryError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(FerryError);
  return err as FerryError;
}

describe('waitHealthy', () => {
  it('polls each check until it passes, in order, and reports every attempt', async () => {
    const base = await serve({
      '/health': (n) => ({ status: n < 3 ? 503 : 200 }),
      '/v1/models': (n) => ({ status: 200, body: JSON.stringify({ object: 'list', data: n < 2 ? [] : [{ id: 'custom_openai/m', object: 'model' }] }) }),
    });
    const attempts: string[] = [];
    const checks: HealthCheck[] = [{ http: `${base}/health` }, { http: `${base}/v1/models`, expectBody: '"custom_openai/m"' }];
    const r = await waitHealthy(checks, { timeoutMs: 20_000, onAttempt: (c, d) => attempts.push(`${c.http!.slice(base.length)} ${d}`) });
    expect(r.ok).toBe(true);
    expect(r.results.map((x) => [x.check, x.status])).toEqual([
      [`GET ${base}/health`, 200],
      [`GET ${base}/v1/models`, 200],
    ]);
    // /v1/models is only asked once /health answered 200.
    expect(hits).toEqual(['/health', '/health', '/health', '/v1/models', '/v1/models']);
    expect(attempts[0]).toBe('/health HTTP 503');
    expect(attempts[2]).toBe('/v1/models HTTP 200, but the response does not contain ""custom_openai/m"": {"object":"list","data":[]}');
    expect(attempts).toHaveLength(3);
  });

  it('honours expectStatus', async () => {
    const base = await serve({ '/teapot': () => ({ status: 418 }) });
    const r = await waitHealthy([{ http: `${base}/teapot`, expectStatus: 418 }], { timeoutMs: 5000 });
    expect(r.results[0]!.status).toBe(418);
  });

  it('times out naming the check and the last status, with a hint', async () => {
    const base = await serve({ '/health': () => ({ status: 503 }) });
    const t0 = Date.now();
    const err = await failure(waitHealthy([{ http: `${base}/health`, name: 'vllm' }], { timeoutMs: 800 }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    expect(err.message).toMatch(new RegExp(`Health check "GET ${base}/health" \\(vllm\\) did not pass within 1 s; last result: HTTP 503`));
    expect(err.hint).toMatch(/health timeout/);
  });

  it('a check’s own timeout is shorter than the overall one; a closed port reads "connection refused"', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const err = await failure(waitHealthy([{ http: `http://127.0.0.1:${port}/health`, timeoutMs: 600 }], { timeoutMs: 60_000 }));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err.message).toMatch(/last result: connection refused/);
  });

  it('fails at once when the container stops, instead of waiting for the deadline', async () => {
    const base = await serve({ '/health': () => ({ status: 503 }) });
    let calls = 0;
    const t0 = Date.now();
    const err = await failure(
      waitHealthy([{ http: `${base}/health`, name: 'ai-gateway' }], {
        timeoutMs: 60_000,
        isRunning: async () => ++calls < 2,
      }),
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(calls).toBe(2);
    expect(err.message).toMatch(/^ai-gateway exited/);
    expect(err.hint).toMatch(/stopped before "GET .*\/health" passed/);
  });

  it('stops when canceled', async () => {
    const base = await serve({ '/health': () => ({ status: 503 }) });
    const ac = new AbortController();
    const p = waitHealthy([{ http: `${base}/health` }], { timeoutMs: 60_000, signal: ac.signal, onAttempt: () => ac.abort() });
    await expect(p).rejects.toBeInstanceOf(CanceledError);
  });

  it('no checks: healthy with no results', async () => {
    expect(await waitHealthy([], { timeoutMs: 1 })).toEqual({ ok: true, results: [] });
  });
});
