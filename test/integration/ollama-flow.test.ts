import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustodyEvent, ImportResult } from '../../src/shared/api';
import { walk } from '../../src/main/bundle/walk';
import { fsRules, pathProblem } from '../../src/main/media/fs-rules';
import { loadIntoDocker } from '../../src/main/docker/docker-loader';
import { waitHealthy } from '../../src/main/install/engine/health-wait';
import { listTags } from '../../src/main/ollama/ollama-api';
import { startDockerd } from '../harness/dockerd';
import { ferry } from '../harness/ferry-cli';
import { createLoopVolume, type LoopVolume } from '../harness/loop-media';
import { buildOllamaStandinImage, startOllamaStandin, writeFakeOllamaModel, type FakeOllamaModel, type OllamaStandin } from '../harness/ollama-standin';
import { tempDir } from '../harness/temp';

// Connected side: an Ollama models folder → `ferry bundle create --recipe ollama-model` → media
// written under FAT32 rules onto a loop-device volume (split across volume folders). Offline side:
// `ferry import <volumes> --ollama-models DIR --ollama-url URL` into a fresh folder, confirmed
// through the Ollama API of a stand-in server reading that folder.

const MiB = 1 << 20;
const t = tempDir('ferry-ollama-flow-');
const low = join(t.path, 'low');
const high = join(t.path, 'high');
const source = join(t.path, 'ollama-src');
const bundle = join(t.path, 'bundle');
const restored = join(t.path, 'restored', 'models');
let model: FakeOllamaModel;
let loop: LoopVolume;
let vols: string[] = [];
const servers: OllamaStandin[] = [];

beforeAll(async () => {
  model = writeFakeOllamaModel(source, 'registry.ollama.ai', 'library', 'tiny', '1b', 3 * MiB);
  loop = await createLoopVolume(64 * MiB);
  vols = [1, 2, 3, 4].map((i) => join(loop.mountPoint, `FERRY${i}`));
  for (const v of vols) mkdirSync(v);
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await loop?.stop();
  t.cleanup();
});

const ok = async (args: string[]) => {
  const r = await ferry(args);
  expect(r.code, `ferry ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
};
const used = (): string => vols.filter((v) => { try { readFileSync(join(v, 'FERRY-VOLUME.json')); return true; } catch { return false; } }).join('\n');

describe('Ollama model across the gap', () => {
  it('bundles the model from the models folder and writes it to media under FAT32 rules', async () => {
    await ok(['bundle', 'create', '--recipe', 'ollama-model', '--set', 'model=tiny:1b', '--set', 'server=false', '--ollama-dir', source, '--out', bundle, '--data-dir', low, '--json']);
    expect(readFileSync(join(bundle, 'ollama/manifests/registry.ollama.ai/library/tiny/1b')).equals(readFileSync(model.manifestPath))).toBe(true);
    await ok(['media', 'write', bundle, '--no-kit', '--unapproved-reason', 'test fixture, not reviewed', ...vols.flatMap((v) => ['--to', v]), '--volume-size', '2MiB', '--fs', 'fat32', '--data-dir', low, '--json']);
    const on = used().split('\n');
    expect(on.length).toBeGreaterThanOrEqual(2);
    const rules = fsRules('fat32');
    for (const v of on) for (const e of await walk(v)) expect(pathProblem(e.path, rules), `${v}/${e.path}`).toBeNull();
  });

  it('restores it into a fresh OLLAMA_MODELS folder and Ollama lists it with the same digest and size', async () => {
    const ollama = await startOllamaStandin(restored);
    servers.push(ollama);
    expect(await listTags(ollama.url)).toEqual([]);
    const r = await ok(['import', ...used().split('\n').reverse(), '--ollama-models', restored, '--ollama-url', ollama.url, '--data-dir', high, '--json']);
    const res = r.json<ImportResult>();
    expect(res.ollama).toEqual([expect.objectContaining({ name: 'tiny:1b', digest: model.digest, size: model.size, blobsWritten: 3, blobsSkipped: 0 })]);
    expect(res.ollamaConfirmed).toMatchObject({ url: ollama.url });
    expect(readFileSync(join(restored, 'manifests/registry.ollama.ai/library/tiny/1b')).equals(readFileSync(model.manifestPath))).toBe(true);
    for (const b of model.blobs) expect(readFileSync(join(restored, 'blobs', `sha256-${b.digest.slice(7)}`)).equals(readFileSync(b.file))).toBe(true);
    const tags = await listTags(ollama.url);
    expect(tags.map((x) => ({ name: x.name, digest: x.digest, size: x.size }))).toEqual([{ name: 'tiny:1b', digest: model.digest.slice(7), size: model.size }]);
    expect(ollama.requests).toContain('GET /api/tags');

    const log = (await ok(['custody', 'log', '--data-dir', high, '--json'])).json<CustodyEvent[]>();
    expect(log.filter((e) => e.type === 'imported').map((e) => e.details.into)).toEqual(['ollama', 'ollama-api']);
  });

  it('imports again skipping every blob, and fails naming the model when the Ollama at the URL reads another folder', async () => {
    const elsewhere = await startOllamaStandin(join(t.path, 'other-models'));
    servers.push(elsewhere);
    const r = await ferry(['import', ...used().split('\n'), '--ollama-models', restored, '--ollama-url', elsewhere.url, '--data-dir', high, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Ollama at ${elsewhere.url} does not list tiny:1b after the restore`);
    expect(r.stderr).toContain('OLLAMA_MODELS');
    const again = await ok(['import', ...used().split('\n'), '--ollama-models', restored, '--data-dir', high, '--json']);
    expect(again.json<ImportResult>().ollama).toEqual([expect.objectContaining({ name: 'tiny:1b', blobsWritten: 0, blobsSkipped: 3, bytesWritten: 0 })]);
  });

  it('refuses --ollama-url without --ollama-models', async () => {
    const r = await ferry(['import', bundle, '--ollama-url', 'http://127.0.0.1:9', '--data-dir', high]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--ollama-url needs --ollama-models');
  });
});

describe('the Ollama stand-in image (for a recipe\'s ollama container)', () => {
  it('lists the restored model from the mounted folder with the same name, digest and size', async () => {
    const layout = join(t.path, 'layout');
    const img = await buildOllamaStandinImage(layout, 'ollama:standin');
    const engine = await startDockerd();
    try {
      await loadIntoDocker(engine.docker, layout, [{ manifestDigest: img.manifestDigest, tag: 'ollama:standin' }]);
      const c = await engine.docker.createContainer({ Image: 'ollama:standin', HostConfig: { Binds: [`${restored}:/root/.ollama/models:ro`], NetworkMode: 'none' } });
      await c.start();
      const entry = `{"name":"tiny:1b","model":"tiny:1b","size":${model.size},"digest":"${model.digest.slice(7)}"`;
      await waitHealthy([{ cmd: ['wget', '-qO-', 'http://127.0.0.1:11434/api/tags'], expectBody: entry, name: 'ollama' }], { timeoutMs: 30_000, docker: engine.docker, containerId: c.id });
      await waitHealthy([{ cmd: ['wget', '-qO-', 'http://127.0.0.1:11434/api/version'], expectBody: '"version"', name: 'ollama' }], { timeoutMs: 10_000, docker: engine.docker, containerId: c.id });
      await c.remove({ force: true });
    } finally {
      await engine.stop();
    }
  }, 120_000);
});
