import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../src/shared/api';
import { ferry } from '../harness/ferry-cli';
import { startHubServer } from '../harness/hub-server';
import { startRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { countingProxy, pushStandIn, randomLayer, spawnFerry, standIn, type CountingProxy } from './acquire-helpers';

// Resumable acquisition through the built CLI: a stand-in proxy in front of the registry and the
// hub stalls a transfer after N bytes; the process is killed (SIGKILL) or canceled (SIGINT) there;
// the same command again continues with Range and fetches nothing that was already verified.
const MiB = 1 << 20;
const MISTRAL = 'mistralai/Mistral-Small-3.2-24B-Instruct-2506';
const SHARD = 'model-00001-of-00002.safetensors';
const tmp = tempDir('ferry-resume-');
let registry: Awaited<ReturnType<typeof startRegistry>>;
let hub: Awaited<ReturnType<typeof startHubServer>>;
let reg: CountingProxy;
let hubProxy: CountingProxy;
const vllmBig = randomLayer(8 * MiB);
const base = randomLayer(6 * MiB);

beforeAll(async () => {
  [registry, hub] = await Promise.all([
    startRegistry(),
    startHubServer({ repos: { [MISTRAL]: { files: { 'config.json': Buffer.from('{"model_type":"mistral3"}'), [SHARD]: { size: 8 * MiB, seed: 11 }, 'model-00002-of-00002.safetensors': { size: 2 * MiB, seed: 12 }, 'consolidated.safetensors': { size: MiB, seed: 13 } } } } }),
  ]);
  [reg, hubProxy] = await Promise.all([countingProxy(`http://${registry.host}`), countingProxy(hub.url)]);
  await pushStandIn(registry.host, 'vllm/vllm-openai', ['v0.18.1'], standIn([vllmBig, randomLayer(64 << 10)]));
  for (const n of ['alpha', 'beta', 'gamma']) await pushStandIn(registry.host, `team/${n}`, ['1'], standIn([base, randomLayer(256 << 10)], { label: n }));
});

afterAll(async () => {
  await Promise.allSettled([registry?.stop(), hub?.stop(), reg?.stop(), hubProxy?.stop()]);
  tmp.cleanup();
});

/** Waits (polling the file system, not the clock) until `file` has at least `size` bytes (writes are batched by the MiB). */
async function untilSize(file: string, size: number): Promise<void> {
  while (!existsSync(file) || statSync(file).size < size) await new Promise((r) => setTimeout(r, 10));
}

const blobsIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => !f.endsWith('.tmp')) : []);

describe('resumable acquisition', () => {
  it('kill -9 mid-transfer, then the same command: continues with Range, refetches nothing verified, and the bundle verifies', async () => {
    const out = join(tmp.path, 'killed');
    const data = join(tmp.path, 'data-killed');
    const args = ['bundle', 'create', '--recipe', 'vllm-model', '--mirror', `docker.io=${reg.host}`, '--hub-url', hubProxy.url, '--out', out, '--data-dir', data, '--json'];
    const stallBlob = reg.stallAfter(`/blobs/${vllmBig.digest}`, 3 * MiB);
    const stallShard = hubProxy.stallAfter(SHARD, 2 * MiB);
    reg.generation = hubProxy.generation = 1;
    const run1 = spawnFerry(args);
    const blobTmp = join(`${out}.partial`, 'images/blobs/sha256', `${vllmBig.digest.slice(7)}.tmp`);
    const modelDir = join(`${out}.partial`, 'models', MISTRAL.replace('/', '--'));
    const shardTmp = join(modelDir, `${SHARD}.tmp`);
    await Promise.all([stallBlob.reached, stallShard.reached, untilSize(blobTmp, 2 * MiB), untilSize(shardTmp, MiB)]);
    run1.child.kill('SIGKILL');
    expect((await run1.done).signal).toBe('SIGKILL');
    stallBlob.release();
    stallShard.release();
    const [blobHave, shardHave] = [statSync(blobTmp).size, statSync(shardTmp).size];
    expect(blobHave).toBeLessThanOrEqual(3 * MiB);
    const verifiedBlobs = blobsIn(join(`${out}.partial`, 'images/blobs/sha256'));
    const verifiedFiles = blobsIn(modelDir);

    reg.generation = hubProxy.generation = 2;
    const run2 = await ferry(args);
    expect(run2.code, run2.stderr).toBe(0);
    expect(run2.json()).toMatchObject({ resumed: true, resumedFiles: expect.any(Number) });
    expect(run2.json<{ resumedFiles: number }>().resumedFiles).toBeGreaterThanOrEqual(2);
    const regLog = reg.log.filter((e) => e.gen === 2);
    const hubLog = hubProxy.log.filter((e) => e.gen === 2);
    // the stored lock is reused: nothing is resolved again
    expect(regLog.filter((e) => e.path.includes('/manifests/') || e.path.includes('/tags/'))).toEqual([]);
    expect(hubLog.filter((e) => e.path.startsWith('/api/'))).toEqual([]);
    // verified content is not fetched again
    for (const hex of verifiedBlobs) expect(regLog.filter((e) => e.path.includes(hex))).toEqual([]);
    for (const f of verifiedFiles) expect(hubLog.filter((e) => e.path.endsWith(`/${f}`) || e.path.includes(`/${f}?`))).toEqual([]);
    // the partial transfers continue where they stopped
    const blobGet = regLog.filter((e) => e.path.includes(vllmBig.digest) && e.method === 'GET');
    expect(blobGet).toEqual([expect.objectContaining({ range: `bytes=${blobHave}-`, status: 206, bytes: 8 * MiB - blobHave })]);
    const shardGet = hubLog.filter((e) => e.path.startsWith('/cdn/') && e.path.includes(SHARD));
    expect(shardGet).toEqual([expect.objectContaining({ range: `bytes=${shardHave}-`, status: 206, bytes: 8 * MiB - shardHave })]);

    const v = await ferry(['verify', out, '--data-dir', data, '--json']);
    expect(v.json<VerifyResult>()).toMatchObject({ ok: true, problems: [] });
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('three images sharing a base layer fetch it once; SIGINT cancels, keeping the partial, and the same command resumes it', async () => {
    const out = join(tmp.path, 'shared');
    const data = join(tmp.path, 'data-shared');
    const images = ['alpha', 'beta', 'gamma'].flatMap((n) => ['--image', `registry.example.com/team/${n}:1`]);
    const args = ['bundle', 'create', ...images, '--mirror', `registry.example.com=${reg.host}`, '--out', out, '--data-dir', data, '--json'];
    const stall = reg.stallAfter(`/blobs/${base.digest}`, 2 * MiB);
    reg.generation = 3;
    const run1 = spawnFerry(args);
    const partialBlob = join(`${out}.partial`, 'images/blobs/sha256', `${base.digest.slice(7)}.tmp`);
    await Promise.all([stall.reached, untilSize(partialBlob, MiB)]);
    run1.child.kill('SIGINT');
    const first = await run1.done;
    expect(first.code, first.stderr).toBe(130);
    // canceling keeps (flushes) what was received and hashed
    const have = statSync(partialBlob).size;
    expect(have).toBeGreaterThanOrEqual(MiB);
    expect(have).toBeLessThanOrEqual(2 * MiB);
    stall.release();

    reg.generation = 4;
    const run2 = await ferry(args);
    expect(run2.code, run2.stderr).toBe(0);
    const baseGets = reg.log.filter((e) => e.path.includes(base.digest) && e.method === 'GET');
    expect(baseGets.filter((e) => e.gen === 3)).toHaveLength(1);
    expect(baseGets.filter((e) => e.gen === 4)).toEqual([expect.objectContaining({ range: `bytes=${have}-`, bytes: 6 * MiB - have })]);
    const manifest = (await import('node:fs')).readFileSync(join(out, 'manifest.json'), 'utf8');
    expect(JSON.parse(manifest).artifacts.map((a: { name: string }) => a.name)).toEqual(['registry.example.com/team/alpha:1', 'registry.example.com/team/beta:1', 'registry.example.com/team/gamma:1']);
    expect((await ferry(['verify', out, '--data-dir', data, '--json'])).json<VerifyResult>().ok).toBe(true);
  });

  it('a partial left by other arguments is reused where it matches and pruned where not; the bundle verifies', async () => {
    const out = join(tmp.path, 'changed');
    const data = join(tmp.path, 'data-changed');
    const first = ['alpha', 'beta'].flatMap((n) => ['--image', `registry.example.com/team/${n}:1`]);
    const stall = reg.stallAfter(`/blobs/${base.digest}`, 2 * MiB);
    reg.generation = 6;
    const run1 = spawnFerry(['bundle', 'create', ...first, '--mirror', `registry.example.com=${reg.host}`, '--out', out, '--data-dir', data]);
    await Promise.all([stall.reached, untilSize(join(`${out}.partial`, 'images/blobs/sha256', `${base.digest.slice(7)}.tmp`), MiB)]);
    run1.child.kill('SIGKILL');
    await run1.done;
    stall.release();
    reg.generation = 7;
    const r = await ferry(['bundle', 'create', '--image', 'registry.example.com/team/gamma:1', '--mirror', `registry.example.com=${reg.host}`, '--out', out, '--data-dir', data, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ resumed: false });
    expect(reg.log.filter((e) => e.gen === 7 && e.path.includes(base.digest) && e.method === 'GET')).toEqual([expect.objectContaining({ status: 206 })]);
    expect((await ferry(['verify', out, '--data-dir', data, '--json'])).json<VerifyResult>()).toMatchObject({ ok: true, problems: [] });
  });

  it('a fresh run fetches a base layer shared by three images once', async () => {
    const out = join(tmp.path, 'fresh');
    reg.generation = 5;
    const images = ['alpha', 'beta', 'gamma'].flatMap((n) => ['--image', `registry.example.com/team/${n}:1`]);
    const r = await ferry(['bundle', 'create', ...images, '--mirror', `registry.example.com=${reg.host}`, '--out', out, '--data-dir', join(tmp.path, 'data-fresh'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const gets = reg.log.filter((e) => e.gen === 5 && e.method === 'GET' && e.path.includes('/blobs/'));
    expect(gets.filter((e) => e.path.includes(base.digest))).toHaveLength(1);
    expect(new Set(gets.map((e) => e.path)).size).toBe(gets.length);
    expect(r.json()).toMatchObject({ fetchedBytes: expect.any(Number), reusedBytes: 0, resumed: false });
  });
});
