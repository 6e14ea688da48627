import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safetensorsPrefix } from '../harness/demo-stack';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy';
import { startHubServer, type HubServer } from '../harness/hub-server';
import { startRegistry, type TestRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { pushStandIn, randomLayer, standIn } from './acquire-helpers';
import { cli, listFiles, seeded, spawnCli, until } from './faults-helpers';

// kill -9 of `ferry install` at seeded random points of its push and models steps, then the same
// command: it completes; blobs the internal registry already held are not pushed again and model
// files already placed and verified are not written again (same inode and mtime). The recipe has
// an image and a model and no containers, so no engine or GPU is needed. Contacted: loopback only.
const MiB = 1 << 20;
const tmp = tempDir('ferry-faults-install-');
const MODEL = 'acme/tiny';
const MODEL_FILES = { 'config.json': Buffer.from('{"model_type":"mistral"}'), 'model-1.safetensors': { size: 4 * MiB, seed: 1, prefix: safetensorsPrefix(4 * MiB) }, 'model-2.safetensors': { size: 4 * MiB, seed: 2, prefix: safetensorsPrefix(4 * MiB) } };
const MODEL_BYTES = 8 * MiB;
const layers = [randomLayer(3 * MiB), randomLayer(2 * MiB)];
const IMAGE_BYTES = 5 * MiB;
let source: TestRegistry;
let internal: TestRegistry;
let hub: HubServer;
let dst: FaultProxy;
const bundle = join(tmp.path, 'bundle');

beforeAll(async () => {
  [source, internal, hub] = await Promise.all([startRegistry(), startRegistry(), startHubServer({ repos: { [MODEL]: { files: MODEL_FILES } } })]);
  dst = await startFaultProxy(`http://${internal.host}`);
  for (const method of ['PUT', 'PATCH']) dst.inject({ match: '/blobs/uploads/', method, fault: { rate: 8 * MiB } });
  await pushStandIn(source.host, 'team/app', ['1'], standIn(layers));
  const low = join(tmp.path, 'low');
  mkdirSync(join(low, 'recipes'), { recursive: true, mode: 0o700 });
  writeFileSync(
    join(low, 'recipes', 'fault-stack.yaml'),
    ['format: ferry.recipe.v1', 'id: fault-stack', 'title: Fault stack', 'version: 1.0.0', 'description: An image and a model, no containers.', 'artifacts:', '  images:', '    - id: app', `      source: ${source.host}/team/app`, '      tag: "1"', '      target: app', '  models:', '    - id: model', `      repo: ${MODEL}`, '      revision: main', ''].join('\n'),
  );
  const r = await cli(['bundle', 'create', '--recipe', 'fault-stack', '--hub-url', hub.url, '--out', bundle, '--data-dir', low, '--json']);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await Promise.allSettled([source?.stop(), internal?.stop(), hub?.stop(), dst?.stop()]);
  tmp.cleanup();
});

async function held(repo: string): Promise<Set<string>> {
  const have = new Set<string>();
  for (const l of layers) if ((await fetch(`http://${internal.host}/v2/${repo}/blobs/${l.digest}`, { method: 'HEAD' })).status === 200) have.add(l.digest);
  return have;
}

/** Model files renamed into place (not `.tmp`), with their inode and mtime. */
function placed(dir: string): Map<string, { ino: number; mtimeMs: number; size: number }> {
  const out = new Map<string, { ino: number; mtimeMs: number; size: number }>();
  for (const [f, size] of listFiles(dir)) {
    if (!f.endsWith('.safetensors') && !f.endsWith('.json')) continue;
    const st = statSync(join(dir, f));
    out.set(f, { ino: st.ino, mtimeMs: st.mtimeMs, size });
  }
  return out;
}

describe('kill -9 of install at random points of its push and models steps, then the same command', () => {
  for (const [seed, step] of [[5, 'push'], [6, 'models']] as const) {
    it(`seed ${seed}, in the ${step} step: completes, nothing verified pushed or written twice`, async () => {
      const f = 0.1 + 0.8 * seeded(seed)();
      const prefix = `inst${seed}`;
      const models = join(tmp.path, `models-${seed}`);
      const args = ['install', bundle, '--registry', `${dst.host}/${prefix}`, '--models-dir', models, '--gpu', 'none', '--egress-outside', '127.0.0.1:9', '--data-dir', join(tmp.path, `high-${seed}`), '--json'];
      dst.generation = seed;
      const base = dst.live.up;
      const run = spawnCli(args);
      if (step === 'push') await until(() => dst.live.up - base >= f * IMAGE_BYTES, `${Math.round(f * 100)}% of the images pushed`, run);
      else await until(() => [...listFiles(models).values()].reduce((s, n) => s + n, 0) >= f * MODEL_BYTES, `${Math.round(f * 100)}% of the model placed`, run);
      run.child.kill('SIGKILL');
      expect((await run.done).signal).toBe('SIGKILL');
      const repo = `${prefix}/app`;
      const had = await held(repo);
      const before = placed(models);

      dst.generation = seed + 1;
      const again = await cli(args);
      expect(again.code, again.stderr + again.stdout).toBe(0);
      const pushes = dst.log.filter((e) => e.gen === seed + 1 && (e.method === 'PUT' || e.method === 'PATCH') && e.path.includes('/blobs/uploads/'));
      for (const d of had) expect(pushes.filter((e) => e.path.includes(d))).toEqual([]);
      expect(pushes.reduce((s, e) => s + e.sent, 0)).toBeLessThanOrEqual(layers.filter((l) => !had.has(l.digest)).reduce((s, l) => s + l.size, 0) + 64 * 1024);
      expect(await held(repo)).toEqual(new Set(layers.map((l) => l.digest)));
      const after = placed(models);
      const rewritten = [...before].filter(([name, w]) => after.get(name)?.ino !== w.ino || after.get(name)?.mtimeMs !== w.mtimeMs);
      expect(rewritten.reduce((s, [, w]) => s + w.size, 0)).toBeLessThanOrEqual(0.15 * MODEL_BYTES);
      expect([...after.values()].filter((w) => w.size === 4 * MiB)).toHaveLength(2);
    });
  }
});
