import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../src/shared/api';
import { safetensorsPrefix } from '../harness/demo-stack';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy';
import { startHubServer, type HubServer } from '../harness/hub-server';
import { startRegistry, type TestRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { pushStandIn, randomLayer, standIn } from './acquire-helpers';
import { cli, listFiles, seeded, spawnCli, until } from './faults-helpers';

// kill -9 at seeded random points of `ferry bundle create` and `ferry import`, then the same
// command again: it completes, the result verifies, and what was verified before the kill is not
// fetched or pushed again (bytes counted through the fault proxies, which also slow the link so
// the kill lands mid-transfer). A second process on the same output is refused while the first runs.
// Contacted: loopback only.
const MiB = 1 << 20;
const RATE = 12 * MiB; // bytes per second per transfer through the proxies
const MODEL = 'acme/tiny';
const WEIGHTS = 'model.safetensors';
const tmp = tempDir('ferry-faults-kill-');
let source: TestRegistry;
let internal: TestRegistry;
let hub: HubServer;
let src: FaultProxy;
let hubProxy: FaultProxy;
let dst: FaultProxy;
const layers = [randomLayer(3 * MiB), randomLayer(2 * MiB), randomLayer(MiB)];
const WEIGHTS_SIZE = 2 * MiB;
const TOTAL = layers.reduce((s, l) => s + l.size, 0) + WEIGHTS_SIZE;

beforeAll(async () => {
  [source, internal, hub] = await Promise.all([
    startRegistry(),
    startRegistry(),
    startHubServer({ repos: { [MODEL]: { files: { 'config.json': Buffer.from('{"model_type":"mistral"}'), [WEIGHTS]: { size: WEIGHTS_SIZE, seed: 9, prefix: safetensorsPrefix(WEIGHTS_SIZE) } } } } }),
  ]);
  [src, hubProxy, dst] = await Promise.all([startFaultProxy(`http://${source.host}`), startFaultProxy(hub.url), startFaultProxy(`http://${internal.host}`)]);
  await pushStandIn(source.host, 'team/app', ['1'], standIn(layers));
  // A slow link: every blob and model file crawls, so a kill at a byte count lands mid-transfer.
  src.inject({ match: '/blobs/', fault: { rate: RATE } });
  hubProxy.inject({ match: '/cdn/', fault: { rate: RATE } });
  for (const method of ['PUT', 'PATCH']) dst.inject({ match: '/blobs/uploads/', method, fault: { rate: RATE } });
});

afterAll(async () => {
  await Promise.allSettled([source?.stop(), internal?.stop(), hub?.stop(), src?.stop(), hubProxy?.stop(), dst?.stop()]);
  tmp.cleanup();
});

const createArgs = (out: string, data: string): string[] => ['bundle', 'create', '--image', `${src.host}/team/app:1`, '--model', MODEL, '--hub-url', hubProxy.url, '--out', out, '--data-dir', data, '--json'];
const downloaded = (gen: number): number => [...src.log, ...hubProxy.log].filter((e) => e.gen === gen && e.method === 'GET' && (e.path.includes('/blobs/') || e.path.startsWith('/cdn/'))).reduce((s, e) => s + e.bytes, 0);
/** Bytes of bundle content on disk (verified files and resumable partials). */
const onDisk = (dir: string): number => [...listFiles(dir).values()].reduce((s, n) => s + n, 0);

describe('kill -9 of bundle create at random points, then the same command', () => {
  for (const seed of [101, 303]) {
    it(`seed ${seed}: completes, verifies, and refetches at most 15% of what was already on disk`, async () => {
      const rnd = seeded(seed);
      const killAt = Math.round((0.1 + 0.8 * rnd()) * TOTAL);
      const out = join(tmp.path, `create-${seed}`);
      const data = join(tmp.path, `data-create-${seed}`);
      const gen = seed;
      src.generation = hubProxy.generation = gen;
      const base = src.live.down + hubProxy.live.down;
      const run = spawnCli(createArgs(out, data));
      await until(() => src.live.down + hubProxy.live.down - base >= killAt, `${killAt} bytes through the proxies`, run);
      run.child.kill('SIGKILL');
      expect((await run.done).signal).toBe('SIGKILL');
      const kept = onDisk(`${out}.partial`);

      src.generation = hubProxy.generation = gen + 1;
      const again = await cli(createArgs(out, data));
      expect(again.code, again.stderr).toBe(0);
      // What the first run had put on disk is not fetched again (beyond 15% of the bundle).
      expect(downloaded(gen + 1)).toBeLessThanOrEqual(TOTAL - Math.min(kept, TOTAL) + 0.15 * TOTAL);
      const v = await cli(['verify', out, '--data-dir', data, '--json']);
      expect(v.json<VerifyResult>()).toMatchObject({ ok: true, problems: [] });
      expect(existsSync(`${out}.partial`)).toBe(false);
      expect(existsSync(`${out}.lock`)).toBe(false);
    });
  }

  it('a second process on the same output is refused, naming the first; the first completes', async () => {
    const out = join(tmp.path, 'twice');
    const data = join(tmp.path, 'data-twice');
    let release!: () => void;
    let holding = false;
    const hold = src.inject({ match: `/blobs/${layers[0]!.digest}`, fault: { holdAfter: 64 * 1024, until: new Promise<void>((r) => (release = r)), onHold: () => (holding = true) }, times: 1 });
    const first = spawnCli(createArgs(out, data));
    await until(() => holding, 'the first process to be mid-transfer');
    const second = await cli(createArgs(out, join(tmp.path, 'data-twice-2')));
    release();
    hold.remove();
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`Another Ferry process \\(pid ${first.child.pid}, since [^)]+\\) is already creating ${out}`));
    const done = await first.done;
    expect(done.code, done.stderr).toBe(0);
  });
});

describe('kill -9 of import at random points, then the same command', () => {
  let bundle = '';
  let bundleData = '';
  beforeAll(async () => {
    bundle = join(tmp.path, 'to-import');
    bundleData = join(tmp.path, 'data-to-import');
    const r = await cli(createArgs(bundle, bundleData));
    expect(r.code, r.stderr).toBe(0);
  });

  /** Blobs the internal registry holds under `repo` (verified by it against their digest). */
  async function held(repo: string): Promise<Set<string>> {
    const have = new Set<string>();
    for (const l of layers) {
      const res = await fetch(`http://${internal.host}/v2/${repo}/blobs/${l.digest}`, { method: 'HEAD' });
      if (res.status === 200) have.add(l.digest);
    }
    return have;
  }

  it('the internal registry answers 503 to the first uploads: retried with backoff, the import completes', async () => {
    const rule = dst.inject({ match: '/blobs/uploads/', method: 'POST', fault: { status: 503 }, times: 2 });
    const r = await cli(['import', bundle, '--registry', `${dst.host}/retry`, '--models-dir', join(tmp.path, 'models-retry'), '--data-dir', join(tmp.path, 'data-import-retry'), '--json']);
    rule.remove();
    expect(r.code, r.stderr).toBe(0);
    expect(rule.hits).toBe(2);
    expect(await held('retry/app')).toEqual(new Set(layers.map((l) => l.digest)));
  });

  for (const seed of [11, 22]) {
    it(`seed ${seed}: completes, and no blob the registry already held is pushed again`, async () => {
      const rnd = seeded(seed);
      const total = layers.reduce((s, l) => s + l.size, 0);
      const killAt = Math.round((0.1 + 0.8 * rnd()) * total);
      const prefix = `imp${seed}`;
      const data = join(tmp.path, `data-import-${seed}`);
      const models = join(tmp.path, `models-${seed}`);
      const args = ['import', bundle, '--registry', `${dst.host}/${prefix}`, '--models-dir', models, '--data-dir', data, '--json'];
      dst.generation = seed;
      const base = dst.live.up;
      const run = spawnCli(args);
      await until(() => dst.live.up - base >= killAt, `${killAt} bytes pushed`, run);
      run.child.kill('SIGKILL');
      expect((await run.done).signal).toBe('SIGKILL');
      const repo = `${prefix}/app`; // the image's name under the registry prefix
      const had = await held(repo);

      dst.generation = seed + 1;
      const again = await cli(args);
      expect(again.code, again.stderr + again.stdout).toBe(0);
      const pushes = dst.log.filter((e) => e.gen === seed + 1 && (e.method === 'PUT' || e.method === 'PATCH') && e.path.includes('/blobs/uploads/'));
      for (const d of had) expect(pushes.filter((e) => e.path.includes(d))).toEqual([]);
      const notHeld = layers.filter((l) => !had.has(l.digest)).reduce((s, l) => s + l.size, 0);
      expect(pushes.reduce((s, e) => s + e.sent, 0)).toBeLessThanOrEqual(notHeld + 64 * 1024);
      expect(await held(repo)).toEqual(new Set(layers.map((l) => l.digest)));
      expect(statSync(join(models, 'acme', 'tiny', WEIGHTS)).size).toBe(WEIGHTS_SIZE);
    });
  }
});
