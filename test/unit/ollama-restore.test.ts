import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobItem } from '../../src/shared/api';
import type { OllamaArtifact } from '../../src/main/bundle/manifest-schema';
import type { Progress } from '../../src/main/jobs/progress';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT } from '../../src/main/bundle/manifest-schema';
import type { StepEnv } from '../../src/main/install/steps/step-env';
import { confirmRestored, listTags, showModel } from '../../src/main/ollama/ollama-api';
import { ollamaArtifactRefs, ollamaInstallDir, ollamaStep } from '../../src/main/ollama/ollama-install';
import { loadRecipeFile, builtinRecipesDir } from '../../src/main/recipes/recipe-catalog';
import { bindParams } from '../../src/main/recipes/params';
import { restoreOllama } from '../../src/main/ollama/restore';
import { ollamaBlobPath, ollamaManifestPath } from '../../src/main/sources/ollama-name';
import { startOllamaStandin, writeFakeOllamaModel, type FakeOllamaModel, type OllamaStandin } from '../harness/ollama-standin';
import { tempDir } from '../harness/temp';

const t = tempDir('ferry-ollama-restore-');
const KiB = 1024;
const src = join(t.path, 'src');
let tiny: FakeOllamaModel;
let coder: FakeOllamaModel;
let n = 0;
const fresh = (): string => join(t.path, `out-${++n}`);
const servers: OllamaStandin[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  t.cleanup();
});

function progress(): Progress & { items: Map<string, JobItem> } {
  const items = new Map<string, JobItem>();
  return {
    items,
    signal: new AbortController().signal,
    phase: () => undefined,
    item: (id, label, bytesTotal) => void items.set(id, { id, label, bytesTotal, bytesDone: 0, state: 'pending' }),
    itemState: (id, state) => void (items.get(id)!.state = state),
    advance: (k, id) => void (id && (items.get(id)!.bytesDone += k)),
  };
}

/** A bundle's ollama/ folder and artifacts as acquire-ollama writes them (FAT-safe manifest paths). */
function makeBundle(dir: string, models: { m: FakeOllamaModel; registry: string; repository: string; tag: string }[]): OllamaArtifact[] {
  return models.map(({ m, registry, repository, tag }) => {
    const manRel = ollamaManifestPath({ registry, repository, tag });
    const put = (rel: string, from: string) => {
      mkdirSync(join(dir, 'ollama', rel, '..'), { recursive: true });
      copyFileSync(from, join(dir, 'ollama', rel));
      const b = readFileSync(from);
      return { path: rel, size: b.length, sha256: createHash('sha256').update(b).digest('hex') };
    };
    const files = [put(manRel, m.manifestPath), ...m.blobs.map((b) => put(ollamaBlobPath(b.digest), b.file))];
    return { kind: 'ollama', name: m.name, source: `${registry}/${repository}:${tag}`, registry, repository, tag, digest: m.digest, dir: 'ollama', size: files.reduce((s, f) => s + f.size, 0), files };
  });
}

const list = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();

let bundle: string;
let artifacts: OllamaArtifact[];
beforeAll(() => {
  tiny = writeFakeOllamaModel(src, 'registry.ollama.ai', 'library', 'tiny', '1b', 64 * KiB);
  coder = writeFakeOllamaModel(src, '127.0.0.1:5000', 'acme', 'coder', 'q4_K_M', 32 * KiB);
  bundle = join(t.path, 'bundle');
  artifacts = makeBundle(bundle, [
    { m: tiny, registry: 'registry.ollama.ai', repository: 'library/tiny', tag: '1b' },
    { m: coder, registry: '127.0.0.1:5000', repository: 'acme/coder', tag: 'q4_K_M' },
  ]);
});

describe('restoreOllama', () => {
  it('maps the FAT-safe bundle names back to exactly the names Ollama reads, and Ollama lists them', async () => {
    expect(list(join(bundle, 'ollama')).some((p) => p.includes(':'))).toBe(false);
    const out = fresh();
    const p = progress();
    const r = await restoreOllama(bundle, artifacts, out, p);
    expect(r.map((x) => [x.name, x.digest, x.size, x.blobsWritten, x.blobsSkipped])).toEqual([
      ['tiny:1b', tiny.digest, tiny.size, 3, 0],
      ['127.0.0.1:5000/acme/coder:q4_K_M', coder.digest, coder.size, 3, 0],
    ]);
    const expected = [...tiny.blobs, ...coder.blobs].map((b) => `blobs/sha256-${b.digest.slice(7)}`);
    expect(list(out)).toEqual([...expected, 'manifests/127.0.0.1:5000/acme/coder/q4_K_M', 'manifests/registry.ollama.ai/library/tiny/1b'].sort());
    for (const m of [tiny, coder]) {
      expect(readFileSync(join(out, relative(src, m.manifestPath))).equals(readFileSync(m.manifestPath))).toBe(true);
      for (const b of m.blobs) expect(readFileSync(join(out, 'blobs', `sha256-${b.digest.slice(7)}`)).equals(readFileSync(b.file))).toBe(true);
    }
    expect([...p.items.values()].map((i) => [i.state, i.bytesDone === i.bytesTotal])).toEqual([['done', true], ['done', true]]);

    const ollama = await startOllamaStandin(out);
    servers.push(ollama);
    const tags = await listTags(ollama.url);
    expect(tags.map((x) => [x.name, x.digest, x.size]).sort()).toEqual([
      ['127.0.0.1:5000/acme/coder:q4_K_M', coder.digest.slice(7), coder.size],
      ['tiny:1b', tiny.digest.slice(7), tiny.size],
    ]);
    expect(await confirmRestored(ollama.url, r)).toMatchObject({ url: ollama.url, version: expect.any(String) });
    expect((await showModel(ollama.url, 'tiny:1b'))?.template).toContain('{{ .Prompt }}');
    expect(await showModel(ollama.url, 'absent:1b')).toBeUndefined();
  });

  it('keeps %3A in the host folder when asked for FAT-safe names', async () => {
    const out = fresh();
    await restoreOllama(bundle, artifacts.slice(1), out, progress(), { fatSafeNames: true });
    expect(existsSync(join(out, 'manifests/127.0.0.1%3A5000/acme/coder/q4_K_M'))).toBe(true);
  });

  it('refuses a corrupted blob naming the model and blob, leaving nothing of that model', async () => {
    const bad = join(t.path, 'bad-bundle');
    const arts = makeBundle(bad, [
      { m: tiny, registry: 'registry.ollama.ai', repository: 'library/tiny', tag: '1b' },
      { m: coder, registry: '127.0.0.1:5000', repository: 'acme/coder', tag: 'q4_K_M' },
    ]);
    // The template blob (written after the gguf one) is altered: the gguf blob already written must go too.
    const victim = coder.blobs[1]!;
    const file = join(bad, 'ollama', ollamaBlobPath(victim.digest));
    const b = readFileSync(file);
    b[3] = b[3]! ^ 0x20;
    writeFileSync(file, b);
    const out = fresh();
    const p = progress();
    const err = await restoreOllama(bad, arts, out, p).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('Ollama model 127.0.0.1:5000/acme/coder:q4_K_M');
    expect((err as Error).message).toContain(`blob ${victim.digest}`);
    expect((err as Error).message).toContain('nothing of 127.0.0.1:5000/acme/coder:q4_K_M was restored');
    // tiny (restored first) is complete; nothing of coder, and no temp file
    const left = list(out);
    expect(left).toEqual([...tiny.blobs.map((x) => `blobs/sha256-${x.digest.slice(7)}`), 'manifests/registry.ollama.ai/library/tiny/1b'].sort());
    expect(p.items.get('ollama-restore:127.0.0.1:5000/acme/coder:q4_K_M')?.state).toBe('failed');
  });

  it('refuses a manifest that is not the one the bundle records', async () => {
    const bad = join(t.path, 'bad-manifest');
    const [a] = makeBundle(bad, [{ m: tiny, registry: 'registry.ollama.ai', repository: 'library/tiny', tag: '1b' }]);
    writeFileSync(join(bad, 'ollama', ollamaManifestPath({ registry: 'registry.ollama.ai', repository: 'library/tiny', tag: '1b' })), '{"schemaVersion":2}');
    const out = fresh();
    await expect(restoreOllama(bad, [a!], out, progress())).rejects.toThrow(/Ollama model tiny:1b: manifest .* has sha256 [0-9a-f]{64}, the bundle records sha256:/);
    expect(existsSync(out) ? list(out) : []).toEqual([]);
  });

  it('skips blobs already there with the same digest, and replaces one with the right size but other bytes', async () => {
    const out = fresh();
    await restoreOllama(bundle, artifacts, out, progress());
    const gguf = join(out, 'blobs', `sha256-${tiny.blobs[0]!.digest.slice(7)}`);
    const manifest = join(out, 'manifests/registry.ollama.ai/library/tiny/1b');
    const before = [statSync(gguf).mtimeMs, statSync(gguf).ino, statSync(manifest).ino];
    const p = progress();
    const again = await restoreOllama(bundle, artifacts, out, p);
    expect(again.map((x) => [x.blobsWritten, x.blobsSkipped, x.bytesWritten])).toEqual([[0, 3, 0], [0, 3, 0]]);
    expect([statSync(gguf).mtimeMs, statSync(gguf).ino, statSync(manifest).ino]).toEqual(before);
    expect([...p.items.values()].map((i) => i.state)).toEqual(['skipped', 'skipped']);

    const tpl = join(out, 'blobs', `sha256-${tiny.blobs[1]!.digest.slice(7)}`);
    writeFileSync(tpl, Buffer.alloc(tiny.blobs[1]!.size, 0x41));
    const third = await restoreOllama(bundle, artifacts.slice(0, 1), out, progress());
    expect(third[0]).toMatchObject({ blobsWritten: 1, blobsSkipped: 2 });
    expect(readFileSync(tpl).equals(readFileSync(tiny.blobs[1]!.file))).toBe(true);
  });
});

describe('a bundle that leaves a blob out (delta)', () => {
  it('takes the blob from OLLAMA_MODELS when it is there, and names it when it is not', async () => {
    const gguf = tiny.blobs[0]!;
    const [full] = makeBundle(join(t.path, 'delta'), [{ m: tiny, registry: 'registry.ollama.ai', repository: 'library/tiny', tag: '1b' }]);
    const delta = { ...full!, files: full!.files.filter((f) => f.path !== ollamaBlobPath(gguf.digest)) };
    const empty = fresh();
    await expect(restoreOllama(join(t.path, 'delta'), [delta], empty, progress())).rejects.toThrow(`Ollama model tiny:1b: blob ${gguf.digest} (${gguf.size} bytes) is neither in the bundle nor in ${empty}`);
    expect(existsSync(empty) ? list(empty) : []).toEqual([]);
    const have = fresh();
    mkdirSync(join(have, 'blobs'), { recursive: true });
    copyFileSync(gguf.file, join(have, 'blobs', `sha256-${gguf.digest.slice(7)}`));
    const [r] = await restoreOllama(join(t.path, 'delta'), [delta], have, progress());
    expect(r).toMatchObject({ blobsWritten: 2, blobsSkipped: 1 });
    expect(existsSync(join(have, 'manifests/registry.ollama.ai/library/tiny/1b'))).toBe(true);
  });
});

describe('confirmRestored', () => {
  it('names a model Ollama does not list, and one it lists with another digest', async () => {
    const out = fresh();
    const [r] = await restoreOllama(bundle, artifacts.slice(0, 1), out, progress());
    const ollama = await startOllamaStandin(out);
    servers.push(ollama);
    await expect(confirmRestored(ollama.url, [{ name: 'other:7b', digest: r!.digest, size: r!.size }])).rejects.toThrow(`Ollama at ${ollama.url} does not list other:7b after the restore (it lists tiny:1b)`);
    await expect(confirmRestored(ollama.url, [{ ...r!, digest: `sha256:${'0'.repeat(64)}` }])).rejects.toThrow(/lists tiny:1b with digest [0-9a-f]{64} and size \d+, but the restored manifest is sha256:0{64}/);
    // A model whose config blob is missing is not listed (as Ollama leaves it out).
    writeFileSync(join(out, 'blobs', `sha256-${tiny.blobs[2]!.digest.slice(7)}`), 'not json');
    await expect(confirmRestored(ollama.url, [r!])).rejects.toThrow(/does not list tiny:1b/);
  });

  it('says when nothing answers at the URL', async () => {
    const s = await startOllamaStandin(fresh());
    await s.close();
    await expect(confirmRestored(s.url, [])).rejects.toThrow(`Cannot reach Ollama at ${s.url}/api/version`);
    await expect(confirmRestored('ftp://127.0.0.1:1', [])).rejects.toThrow('only http and https');
  });
});

describe('the guided install hook', () => {
  it('resolves ${artifact.<ollama id>} to <modelsDir>/ollama only where the recipe uses Ollama', async () => {
    const { recipe } = await loadRecipeFile(join(builtinRecipesDir(), 'keeptrusts-airgapped.yaml'), 'builtin');
    const models = join(t.path, 'models');
    const withOllama = ollamaArtifactRefs(recipe, bindParams(recipe, { runtime: 'ollama', policy_config: '/p.yaml', knowledge_dir: '/kb' }), models);
    expect(withOllama).toEqual({ 'ollama-model': join(models, 'ollama') });
    expect(ollamaArtifactRefs(recipe, bindParams(recipe, { runtime: 'vllm', policy_config: '/p.yaml', knowledge_dir: '/kb' }), models)).toEqual({});
  });

  it('the ollama step restores the bundle\'s models into <modelsDir>/ollama and records them in custody', async () => {
    const dir = join(t.path, 'install-bundle');
    const arts = makeBundle(dir, [{ m: tiny, registry: 'registry.ollama.ai', repository: 'library/tiny', tag: '1b' }]);
    await writeManifest(dir, {
      format: BUNDLE_FORMAT, bundleId: '3b1f7c2e-4d5a-4e6b-8c7d-9e0f1a2b3c4d', createdAt: '2026-11-23T06:00:00.000+00:00', createdBy: { actor: 'op', station: 's' }, tool: { name: 'ferry', version: '0.1.0' },
      artifacts: [], extraArtifacts: arts, files: arts[0]!.files.map((f) => ({ ...f, path: `ollama/${f.path}` })),
    });
    const models = join(t.path, 'install-models');
    const events: { type: string; details?: Record<string, unknown> }[] = [];
    const logs: string[] = [];
    const env = { installId: 'i1', record: { request: { modelsDir: models }, plan: { bundleDir: dir, bundleId: '3b1f7c2e-4d5a-4e6b-8c7d-9e0f1a2b3c4d' } }, custody: { append: (e: (typeof events)[number]) => events.push(e) }, progress: progress(), log: (l: string) => logs.push(l) } as unknown as StepEnv;
    const out = await ollamaStep(env);
    expect(out.result).toEqual({ dir: ollamaInstallDir(models), models: [{ name: 'tiny:1b', digest: tiny.digest, size: tiny.size, blobsWritten: 3, blobsSkipped: 0 }] });
    expect(readFileSync(join(models, 'ollama/manifests/registry.ollama.ai/library/tiny/1b')).equals(readFileSync(tiny.manifestPath))).toBe(true);
    expect(events).toEqual([expect.objectContaining({ type: 'imported', details: expect.objectContaining({ into: 'ollama', installId: 'i1' }) })]);
    expect(logs[0]).toContain('restored tiny:1b');
  });
});
