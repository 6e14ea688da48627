import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  confinedPath,
  containerDestination,
  filesDestination,
  identityProblems,
  imageDestination,
  modelDestination,
  nameProblem,
  ollamaDestination,
  OWNED_MARKER,
  replaceFolder,
  type FolderDestination,
} from '../../src/main/bundle/destinations';
import { BundleManifestSchema, type BundleManifest, type FilesArtifact, type ImageArtifact, type ModelArtifact, type OllamaArtifact } from '../../src/main/bundle/manifest-schema';
import { parseRegistryTarget } from '../../src/main/bundle/registry-target';
import { requireAllowances, runtimeRisks } from '../../src/main/install/plan/install-plan';
import type { StoredRequest } from '../../src/main/install/install-store';
import type { PlanImage } from '../../src/main/install/install-types';
import type { StepEnv } from '../../src/main/install/steps/step-env';
import { filesStep } from '../../src/main/install/steps/step-files';
import { bindParams } from '../../src/main/recipes/params';
import { RecipeSchema } from '../../src/main/recipes/recipe-schema';
import { diffSummaries } from '../../src/main/review/bundle-diff';
import { summarize } from '../../src/main/review/approved-store';
import { parse } from 'yaml';
import { placeModelFiles } from '../../src/main/deliver/deliver-models';
import { restoreOllama } from '../../src/main/ollama/restore';
import { ollamaBlobPath, ollamaManifestPath } from '../../src/main/sources/ollama-name';
import { writeFakeOllamaModel } from '../harness/ollama-standin';
import { tempDir } from '../harness/temp';

/** The error `fn` throws (the test fails when it throws nothing). */
function thrown(fn: () => unknown): Error;
function thrown(p: Promise<unknown>): Promise<Error>;
function thrown(x: (() => unknown) | Promise<unknown>): Error | Promise<Error> {
  if (x instanceof Promise) return x.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as Error);
  try {
    x();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

let t: ReturnType<typeof tempDir>;
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

const D = 'sha256:' + 'a'.repeat(64);
const image = (over: Partial<ImageArtifact> = {}): ImageArtifact => ({
  kind: 'image', name: 'registry.example/org/app:1.0', source: 'registry.example/org/app', registry: 'registry.example', repository: 'org/app', tag: '1.0',
  digest: D, mediaType: 'application/vnd.oci.image.manifest.v1+json', platform: 'linux/amd64', size: 1, config: D, layers: [], ...over,
});
const model = (over: Partial<ModelArtifact> = {}): ModelArtifact => ({
  kind: 'model', name: 'org/tiny', source: 'http://127.0.0.1:9/org/tiny', hubUrl: 'http://127.0.0.1:9', repo: 'org/tiny', requestedRevision: 'main', revision: 'b'.repeat(40), dir: 'models/org--tiny', size: 0, files: [], ...over,
});
const ollama = (over: Partial<OllamaArtifact> = {}): OllamaArtifact => ({
  kind: 'ollama', name: 'llama3.1:8b', source: 'registry.ollama.ai/library/llama3.1:8b', registry: 'registry.ollama.ai', repository: 'library/llama3.1', tag: '8b', digest: D, dir: 'ollama', size: 0, files: [], ...over,
});
const files = (over: Partial<FilesArtifact> = {}): FilesArtifact => ({ kind: 'files', name: 'policy', source: '/src/policy', dir: 'files/policy', size: 0, files: [], ...over });

// Names that must never become a path: traversal, absolute, control characters, unicode look-alikes.
const HOSTILE = ['..', '../../../../etc', '/etc', 'a/../../b', '\\windows', 'C:\\x', 'a\u0000b', 'a\nb', 'x\u2215y', '\uff0e\uff0e', 'e\u0301', 'a b', 'a..b', '.hidden', ''];

describe('names are data', () => {
  it.each(HOSTILE)('refuses %j as a single name', (name) => {
    expect(nameProblem(name)).not.toBeNull();
    expect(thrown(() => filesDestination({ name })).message).toMatch(/field name/);
  });

  it.each(['org/../x', '../org/x', '/org/x', 'org/x/y', 'org\u2215x', 'org/x\u200b', 'org/.x'])('refuses %j as a model repo', (repo) => {
    expect(thrown(() => modelDestination({ repo })).message).toMatch(/field repo/);
  });

  it('accepts ordinary names and renders the same destination review shows', () => {
    expect(modelDestination({ repo: 'mistralai/Mistral-7B-v0.3' }, '/srv/models').display).toBe('/srv/models/mistralai/Mistral-7B-v0.3');
    expect(modelDestination({ repo: 'org/tiny' }).display).toBe('<models dir>/org/tiny');
    expect(filesDestination({ name: 'policy-config' }, '/d/installs/i/files').display).toBe('/d/installs/i/files/policy-config');
    expect(ollamaDestination(ollama(), '/m/ollama').display).toBe('/m/ollama/manifests/registry.ollama.ai/library/llama3.1/8b');
    expect(imageDestination(image()).display).toBe('<internal registry>/<prefix>/app:1.0');
    expect(imageDestination(image({ target: 'ai-gateway' }), parseRegistryTarget('127.0.0.1:5000/duo'))).toMatchObject({ repository: 'duo/ai-gateway', reference: '1.0', display: '127.0.0.1:5000/duo/ai-gateway:1.0' });
    expect(imageDestination(image({ tag: undefined, name: 'registry.example/org/app' }), parseRegistryTarget('r:5000'))).toMatchObject({ repository: 'app', reference: D });
    expect(containerDestination('vllm').name).toBe('ferry-vllm');
  });

  it.each([
    ['target', { target: '../x' }],
    ['target', { target: 'A/B' }],
    ['tag', { tag: '../../x' }],
    ['tag', { tag: 'v1\u0000' }],
  ] as const)('refuses an image %s of %j', (field, over) => {
    expect(thrown(() => imageDestination(image(over))).message).toContain(`field ${field}`);
  });

  it.each([
    ['repository', { repository: 'library/../x' }],
    ['repository', { repository: 'a/b/c' }],
    ['registry', { registry: '../host' }],
    ['tag', { tag: '..' }],
  ] as const)('refuses an Ollama %s of %j', (field, over) => {
    expect(thrown(() => ollamaDestination(ollama(over))).message).toContain(`field ${field}`);
  });

  it('refuses container names that are not recipe ids', () => {
    for (const n of ['../x', 'A', 'x/y', '']) expect(thrown(() => containerDestination(n)).message).toMatch(/field name/);
  });

  it('the manifest schema refuses traversal in every name field, naming the field', () => {
    const base = { format: 'ferry.bundle.v1', bundleId: '6f1c1f0e-2d5b-4a53-9a53-1f6f0e6b7c11', createdAt: 'x', createdBy: { actor: 'a', station: 's' }, tool: { name: 'ferry', version: '1' }, files: [] };
    const cases: [Record<string, unknown>, string][] = [
      [{ artifacts: [], extraArtifacts: [files({ name: '../../../../etc' })] }, 'extraArtifacts.0.name'],
      [{ artifacts: [model({ name: '../x' })] }, 'artifacts.0.name'],
      [{ artifacts: [image({ target: '../../x' })] }, 'artifacts.0.target'],
      [{ artifacts: [image({ tag: 'a/b' })] }, 'artifacts.0.tag'],
      [{ artifacts: [image({ repository: 'Org/../x' })] }, 'artifacts.0.repository'],
      [{ artifacts: [], extraArtifacts: [ollama({ tag: '../x' })] }, 'extraArtifacts.0.tag'],
    ];
    for (const [over, path] of cases) {
      const r = BundleManifestSchema.safeParse({ ...base, ...over });
      expect(r.success, path).toBe(false);
      expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
    }
  });
});

describe('reviewed identity and delivery must agree', () => {
  it('a genuine artifact of each kind has no problem', () => {
    for (const a of [image(), model(), ollama(), files()]) expect(identityProblems(a)).toEqual([]);
    expect(identityProblems(image({ source: 'oci-archive:/x.tar:app' }))).toEqual([]);
    expect(identityProblems(image({ source: 'registry.example/org/app:1.0' }))).toEqual([]);
  });

  it('names the field that differs', () => {
    const fields = (a: Parameters<typeof identityProblems>[0]) => identityProblems(a).map((p) => p.field);
    expect(fields(model({ repo: 'victim/prod-model', dir: 'models/victim--prod-model' }))).toContain('repo');
    expect(fields(model({ dir: 'models/other' }))).toEqual(['dir']);
    expect(fields(image({ repository: 'victim/app', name: 'registry.example/victim/app:1.0' }))).toEqual(['repository']);
    expect(fields(image({ name: 'registry.example/org/other:1.0' }))).toEqual(['name']);
    expect(fields(image({ source: 'registry.example/org/app:2.0' }))).toEqual(['tag']);
    expect(fields(ollama({ repository: 'victim/model', source: 'registry.ollama.ai/library/llama3.1:8b' }))).toEqual(expect.arrayContaining(['source', 'name']));
    expect(fields(files({ dir: 'files/other' }))).toEqual(['dir']);
  });
});

describe('confined destinations', () => {
  const dest = (root: string, ...parts: string[]): FolderDestination => ({ kind: 'files', root, parts, display: [root, ...parts].join('/') });

  it('accepts a fresh path and an existing real folder', async () => {
    expect(await confinedPath(dest(t.path, 'a', 'b'))).toBe(join(t.path, 'a', 'b'));
    mkdirSync(join(t.path, 'a'));
    expect(await confinedPath(dest(t.path, 'a', 'b'))).toBe(join(t.path, 'a', 'b'));
  });

  it('refuses a symlinked parent and a symlinked target; a root that is a link (the admin\'s choice) is followed', async () => {
    const outside = join(t.path, 'outside');
    const root = join(t.path, 'root');
    mkdirSync(outside);
    mkdirSync(root);
    symlinkSync(outside, join(root, 'org'));
    expect((await thrown(confinedPath(dest(root, 'org', 'name')))).message).toMatch(/symbolic link/);
    symlinkSync(outside, join(root, 'leaf'));
    expect((await thrown(confinedPath(dest(root, 'leaf')))).message).toMatch(/symbolic link/);
    symlinkSync(root, join(t.path, 'rootlink'));
    expect(await confinedPath(dest(join(t.path, 'rootlink'), 'x'))).toBe(join(t.path, 'rootlink', 'x'));
    expect((await thrown(confinedPath(dest(join(t.path, 'rootlink'), 'org', 'x')))).message).toMatch(/symbolic link/);
  });

  it('refuses a relative root and parts that would leave the root', async () => {
    expect((await thrown(confinedPath(dest('relative', 'x')))).message).toMatch(/not an absolute/);
    expect((await thrown(confinedPath(dest(t.path, '..', 'x')))).message).toMatch(/would leave/);
  });
});

describe('nothing destructive without proof', () => {
  it('writes new then renames; keeps the previous version; refuses a folder Ferry did not create', async () => {
    const dest = join(t.path, 'files', 'policy');
    await replaceFolder(dest, { installId: 'i1' }, 'files policy', async (d) => writeFileSync(join(d, 'a.txt'), 'one'));
    expect(readFileSync(join(dest, 'a.txt'), 'utf8')).toBe('one');
    expect(existsSync(join(dest, OWNED_MARKER))).toBe(true);
    const r = await replaceFolder(dest, { installId: 'i2' }, 'files policy', async (d) => writeFileSync(join(d, 'a.txt'), 'two'));
    expect(readFileSync(join(dest, 'a.txt'), 'utf8')).toBe('two');
    expect(readFileSync(join(r.previous!, 'a.txt'), 'utf8')).toBe('one');

    const foreign = join(t.path, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'precious'), 'keep');
    const err = await thrown(replaceFolder(foreign, {}, 'files x', async () => undefined));
    expect(err.message).toMatch(/not created by Ferry/);
    expect(readFileSync(join(foreign, 'precious'), 'utf8')).toBe('keep');
  });

  it('a failed fill removes only the folder it made and leaves the current version', async () => {
    const dest = join(t.path, 'f');
    await replaceFolder(dest, {}, 'f', async (d) => writeFileSync(join(d, 'a'), '1'));
    await expect(replaceFolder(dest, {}, 'f', async () => Promise.reject(new Error('bad hash')))).rejects.toThrow('bad hash');
    expect(readFileSync(join(dest, 'a'), 'utf8')).toBe('1');
    expect(readdirSync(t.path)).toEqual(['f']);
  });
});

describe('the files step writes new, renames into place, and never removes what Ferry did not create', () => {
  const env = (bundleDir: string, dataDir: string, id: string, body: string) => {
    const b = Buffer.from(body);
    mkdirSync(join(bundleDir, 'files', id), { recursive: true });
    writeFileSync(join(bundleDir, 'files', id, 'policy.yaml'), b);
    const sha = createHash('sha256').update(b).digest('hex');
    const lines: string[] = [];
    return {
      lines,
      env: {
        installId: 'i-1',
        dataDir,
        record: { plan: { bundleId: 'b', bundleDir, files: [{ id, dir: `files/${id}`, files: [{ path: 'policy.yaml', size: b.length, sha256: sha }] }] } },
        progress: { signal: new AbortController().signal, phase: () => undefined, item: () => undefined, itemState: () => undefined, advance: () => undefined },
        log: (l: string) => void lines.push(l),
      } as unknown as StepEnv,
    };
  };

  it('places, keeps the previous version, and refuses a folder that is not Ferry\'s', async () => {
    const data = join(t.path, 'data');
    const dest = join(data, 'installs/i-1/files/policy');
    await filesStep(env(join(t.path, 'b1'), data, 'policy', 'a: 1\n').env);
    expect(readFileSync(join(dest, 'policy.yaml'), 'utf8')).toBe('a: 1\n');
    const second = env(join(t.path, 'b2'), data, 'policy', 'a: 2\n');
    await filesStep(second.env);
    expect(readFileSync(join(dest, 'policy.yaml'), 'utf8')).toBe('a: 2\n');
    expect(readFileSync(`${dest}.ferry-previous/policy.yaml`, 'utf8')).toBe('a: 1\n');
    expect(second.lines.join('\n')).toContain('previous version is kept');

    const foreign = join(data, 'installs/i-1/files/notes');
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, 'mine.txt'), 'admin');
    await expect(filesStep(env(join(t.path, 'b3'), data, 'notes', 'x: 1\n').env)).rejects.toThrow(/not created by Ferry/);
    expect(readFileSync(join(foreign, 'mine.txt'), 'utf8')).toBe('admin');
  });

  it('a files id that climbs out is refused before anything is written', async () => {
    const data = join(t.path, 'data');
    const victim = join(t.path, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'keep'), 'keep');
    const e = env(join(t.path, 'b'), data, 'x', 'a: 1\n');
    (e.env.record.plan.files as { id: string }[])[0]!.id = '../../../../victim';
    await expect(filesStep(e.env)).rejects.toThrow(/field name/);
    expect(readFileSync(join(victim, 'keep'), 'utf8')).toBe('keep');
    expect(existsSync(data)).toBe(false);
  });
});

describe('runtime risks of the built-in recipes', () => {
  it('the Keeptrusts stack (artifact mounts, named volumes, loopback health on published ports) needs no allowance', () => {
    const recipe = RecipeSchema.parse(parse(readFileSync(join(__dirname, '../../resources/recipes/keeptrusts-airgapped.yaml'), 'utf8')));
    const params = bindParams(recipe, { policy_config: '/in/policy-config.yaml', knowledge_dir: '/in/knowledge' });
    const img = (id: string, target: string): PlanImage => ({ id, name: `docker.io/x/${target}:1`, source: `docker.io/x/${target}`, registry: 'docker.io', repository: `x/${target}`, target, tag: '1', digest: D });
    const plan = {
      bundleId: 'b', recipe, recipeSha256: 'f'.repeat(64), bundleDir: '/bundle', params, setByAdmin: [], parameters: [], engine: 'docker' as const,
      images: ['api', 'gateway', 'console', 'admin', 'postgres', 'vllm'].map((i) => img(i, i)),
      models: [{ id: 'model', repo: 'meta-llama/Llama-3.1-8B-Instruct', revision: 'c'.repeat(40), size: 1, dir: 'models/meta-llama--Llama-3.1-8B-Instruct' }],
      files: [{ id: 'policy-config', dir: 'files/policy-config', files: [] }, { id: 'knowledge', dir: 'files/knowledge', files: [] }],
    };
    const request: StoredRequest = { dir: '/bundle', modelsDir: '/data/models', egress: { outside: ['192.0.2.9:443'] } };
    expect(runtimeRisks(plan, request, '/data', 'i-1')).toEqual([]);
    expect(requireAllowances([])).toEqual([]);
    const risk = { allowance: 'mount:/', where: 'install.containers[x].volumes.0', detail: 'mounts /' };
    const err = thrown(() => requireAllowances([risk])) as Error & { hint?: string };
    expect(err.message).toContain('install.containers[x].volumes.0: mounts /');
    expect(err.hint).toContain('--allow mount:/');
    expect(requireAllowances([risk], ['mount:/'])).toEqual(['mount:/']);
  });
});

describe('the diff shows a changed destination even when the digest is the same', () => {
  it('a re-targeted image is "changed" with where it went before', () => {
    const m = (target: string) => ({ format: 'ferry.bundle.v1', bundleId: '6f1c1f0e-2d5b-4a53-9a53-1f6f0e6b7c11', createdAt: 'x', createdBy: { actor: 'a', station: 's' }, tool: { name: 'ferry', version: '1' }, files: [], artifacts: [image({ target })] }) as unknown as BundleManifest;
    const d = diffSummaries(summarize(m('app'), 'a'.repeat(64)), summarize(m('victim'), 'b'.repeat(64)));
    expect(d.changed).toEqual([expect.objectContaining({ key: 'image:registry.example/org/app:1.0', pinned: D, before: D, destination: '<internal registry>/<prefix>/victim:1.0', destinationBefore: '<internal registry>/<prefix>/app:1.0' })]);
    expect(diffSummaries(summarize(m('app'), 'a'.repeat(64)), summarize(m('app'), 'b'.repeat(64))).changed).toEqual([]);
  });
});

describe('Ollama restore stays inside OLLAMA_MODELS', () => {
  it('a symlinked manifests or blobs folder is refused and its target untouched', async () => {
    const src = join(t.path, 'src');
    const m = writeFakeOllamaModel(src, 'registry.ollama.ai', 'library', 'tiny', '1b', 4096);
    const bundle = join(t.path, 'bundle');
    const manRel = ollamaManifestPath({ registry: 'registry.ollama.ai', repository: 'library/tiny', tag: '1b' });
    const put = (rel: string, from: string) => {
      mkdirSync(join(bundle, 'ollama', rel, '..'), { recursive: true });
      const b = readFileSync(from);
      writeFileSync(join(bundle, 'ollama', rel), b);
      return { path: rel, size: b.length, sha256: createHash('sha256').update(b).digest('hex') };
    };
    const files = [put(manRel, m.manifestPath), ...m.blobs.map((b) => put(ollamaBlobPath(b.digest), b.file))];
    const a: OllamaArtifact = { kind: 'ollama', name: m.name, source: 'registry.ollama.ai/library/tiny:1b', registry: 'registry.ollama.ai', repository: 'library/tiny', tag: '1b', digest: m.digest, dir: 'ollama', size: 1, files };
    const progress = { signal: new AbortController().signal, phase: () => undefined, item: () => undefined, itemState: () => undefined, advance: () => undefined };
    for (const linked of ['manifests', 'blobs']) {
      const root = join(t.path, `ollama-${linked}`);
      const outside = join(t.path, `outside-${linked}`);
      mkdirSync(root);
      mkdirSync(outside);
      symlinkSync(outside, join(root, linked));
      await expect(restoreOllama(bundle, [a], root, progress, { fatSafeNames: false })).rejects.toThrow(/symbolic link/);
      expect(readdirSync(outside)).toEqual([]);
    }
    const ok = join(t.path, 'ollama-ok');
    mkdirSync(ok);
    expect((await restoreOllama(bundle, [a], ok, progress, { fatSafeNames: false }))[0]!.blobsWritten).toBe(m.blobs.length);
  });
});

describe('model sources as acquisition writes them', () => {
  it('a pinned revision (with slashes) and an hf-cache source agree with their repo', () => {
    expect(identityProblems(model({ requestedRevision: 'refs/pr/1', source: 'http://127.0.0.1:9/org/tiny@refs/pr/1' }))).toEqual([]);
    expect(identityProblems(model({ source: 'hf-cache:/home/u/.cache/huggingface/hub/org/tiny' }))).toEqual([]);
    expect(identityProblems(model({ requestedRevision: 'v1', source: 'http://127.0.0.1:9/victim/prod@v1' })).map((p) => p.field)).toEqual(['repo']);
  });
});

describe('model placement keeps what it replaces', () => {
  const progress = { signal: new AbortController().signal, phase: () => undefined, item: () => undefined, itemState: () => undefined, advance: () => undefined };
  const bundleOf = (name: string, files: Record<string, string>): { dir: string; m: ModelArtifact } => {
    const dir = join(t.path, name);
    mkdirSync(join(dir, 'models/org--tiny'), { recursive: true });
    const list = Object.entries(files).map(([path, body]) => {
      writeFileSync(join(dir, 'models/org--tiny', path), body);
      return { path, size: Buffer.byteLength(body), sha256: createHash('sha256').update(body).digest('hex') };
    });
    return { dir, m: model({ files: list, size: list.reduce((s, f) => s + f.size, 0) }) };
  };

  it('an identical file is kept, a changed one moves to .ferry-previous, a foreign folder is refused', async () => {
    const models = join(t.path, 'models');
    const v1 = bundleOf('v1', { 'config.json': '{"v":1}', 'w.bin': 'weights' });
    await placeModelFiles(v1.dir, [v1.m], models, progress, [], { installId: 'i1' });
    const v2 = bundleOf('v2', { 'config.json': '{"v":2}', 'w.bin': 'weights' });
    const [r] = await placeModelFiles(v2.dir, [v2.m], models, progress, [], { installId: 'i2' });
    expect(r).toMatchObject({ kept: 1, replaced: 1 });
    expect(readFileSync(join(models, 'org/tiny/config.json'), 'utf8')).toBe('{"v":2}');
    expect(readFileSync(join(models, 'org/tiny.ferry-previous/config.json'), 'utf8')).toBe('{"v":1}');
    expect(existsSync(join(models, 'org/tiny.ferry-previous/w.bin'))).toBe(false);

    mkdirSync(join(models, 'org/other'), { recursive: true });
    writeFileSync(join(models, 'org/other/keep'), 'admin');
    await expect(placeModelFiles(v1.dir, [model({ repo: 'org/other', name: 'org/other', source: 'http://h/org/other', dir: 'models/org--tiny', files: v1.m.files })], models, progress, [])).rejects.toThrow(/not created by Ferry/);
    expect(readFileSync(join(models, 'org/other/keep'), 'utf8')).toBe('admin');
  });
});
