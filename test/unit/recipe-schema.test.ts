import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandRecipe } from '../../src/main/recipes/expand';
import { bindParams, parseSets } from '../../src/main/recipes/params';
import { builtinRecipesDir, getRecipe, listRecipes, loadRecipeFile } from '../../src/main/recipes/recipe-catalog';
import { recipeJsonSchema, type Recipe } from '../../src/main/recipes/recipe-schema';
import { expandTemplate, whenHolds } from '../../src/main/recipes/template';
import { tempDir } from '../harness/temp';

const tmp = tempDir('ferry-recipe-unit-');
afterAll(() => tmp.cleanup());
const ROOT = resolve(__dirname, '../..');

function write(name: string, text: string): string {
  const p = join(tmp.path, name);
  writeFileSync(p, text);
  return p;
}

const minimal = (extra = ''): string => `format: ferry.recipe.v1
id: mine
title: Mine
version: "1"
parameters:
  - { name: tag, type: string, default: "1.0" }
  - { name: gpu, type: bool, default: false }
  - { name: flavour, type: enum, choices: [a, b], default: a }
artifacts:
  images:
    - { id: app, source: registry.example/app, tag: "v\${tag}" }
    - { id: gpu-app, source: registry.example/app-gpu, tag: "v\${tag}", when: { gpu: true } }
${extra}`;

describe('recipe schema and built-in recipes', () => {
  it('the published JSON Schema is up to date (regenerate: ferry recipe schema > docs/recipe.schema.json)', () => {
    const published = JSON.parse(readFileSync(join(ROOT, 'docs/recipe.schema.json'), 'utf8'));
    expect(published).toEqual(recipeJsonSchema());
  });

  it('loads the four built-in recipes from resources/recipes', async () => {
    expect(builtinRecipesDir()).toBe(join(ROOT, 'resources/recipes'));
    const all = await listRecipes(join(tmp.path, 'no-data'));
    expect(all.map((r) => `${r.recipe.id}:${r.origin}`)).toEqual(['gitlab-duo-self-hosted:builtin', 'keeptrusts-airgapped:builtin', 'ollama-model:builtin', 'vllm-model:builtin']);
    const duo = all[0]!.recipe;
    const plan = expandRecipe(duo, bindParams(duo, {}));
    expect(plan.images.map((i) => i.source)).toEqual([
      'registry.gitlab.com/gitlab-org/modelops/applied-ml/code-suggestions/ai-assist/model-gateway:self-hosted-v18.10.0-ee',
      'registry.gitlab.com/gitlab-org/duo-workflow/default-docker-image/workflow-generic-image',
      'docker.io/vllm/vllm-openai:v0.18.1',
    ]);
    expect(plan.images[1]!.newest).toBe('^v[0-9]');
    expect(plan.models).toEqual([expect.objectContaining({ repo: 'mistralai/Mistral-Small-3.2-24B-Instruct-2506', revision: 'main' })]);
  });

  it('user recipes in <data-dir>/recipes are listed and may replace a built-in', async () => {
    const data = join(tmp.path, 'data');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(data, 'recipes'), { recursive: true });
    writeFileSync(join(data, 'recipes', 'mine.yaml'), minimal());
    writeFileSync(join(data, 'recipes', 'vllm.yml'), readFileSync(join(ROOT, 'resources/recipes/vllm-model.yaml'), 'utf8').replace('title: vLLM model server', 'title: Our vLLM'));
    const all = await listRecipes(data);
    expect(all.find((r) => r.recipe.id === 'mine')?.origin).toBe('user');
    expect(all.find((r) => r.recipe.id === 'vllm-model')).toMatchObject({ origin: 'user', recipe: { title: 'Our vLLM' } });
    await expect(getRecipe('nope', data)).rejects.toThrow(/No recipe "nope".*|Known recipes/);
  });

  it('errors name the file and the field', async () => {
    const cases: [string, RegExp][] = [
      ['id: [unclosed', /invalid YAML/],
      [minimal().replace('version: "1"', 'version: one'), /field version: must be a version/],
      [minimal().replace('tag: "v${tag}" }', 'tag: "v${tga}" }'), /artifacts\.images\.0\.tag: \$\{tga\} is not an acquire parameter/],
      [minimal().replace('default: a }', 'default: c }'), /parameters\.2\.default: "c" is not one of the choices/],
      [minimal().replace('when: { gpu: true }', 'when: { gpu: "yes" }'), /when\.gpu: "yes" is not true or false/],
      [minimal().replace('id: gpu-app', 'id: app'), /artifacts\.images\.1\.id: "app" is also used/],
      [minimal('install:\n  containers:\n    - { name: web, image: nothere }\n'), /install\.containers\.0\.image: no image artifact "nothere"/],
      [minimal('install:\n  containers:\n    - { name: web, image: app, env: { K: "${secret.x}" } }\n'), /env\.K: no secret "x"/],
      [minimal().replace('format: ferry.recipe.v1', 'format: ferry.recipe.v1\nextra: 1'), /field \(root\)|Unrecognized key/],
    ];
    for (const [i, [text, re]] of cases.entries()) {
      const file = write(`bad-${i}.yaml`, text);
      const err = await loadRecipeFile(file).then(() => undefined, (e: Error) => e);
      expect(err?.message, `case ${i}`).toMatch(re);
      expect(err?.message).toContain(file);
    }
  });

  it('binds --set values against the parameters', async () => {
    const r: Recipe = (await loadRecipeFile(write('ok.yaml', minimal()))).recipe;
    expect(bindParams(r, {})).toEqual({ tag: '1.0', gpu: false, flavour: 'a' });
    expect(bindParams(r, parseSets(['gpu=yes', 'tag=2.1']))).toMatchObject({ gpu: true, tag: '2.1' });
    expect(() => bindParams(r, { gpu: 'maybe' })).toThrow(/"gpu" must be true or false/);
    expect(() => bindParams(r, { flavour: 'z' })).toThrow(/must be one of a, b/);
    expect(() => bindParams(r, { colour: 'red' })).toThrow(/no parameter "colour"/);
    expect(() => parseSets(['novalue'])).toThrow(/NAME=VALUE/);
    const plan = expandRecipe(r, bindParams(r, { gpu: 'true', tag: '3' }));
    expect(plan.images.map((i) => i.source)).toEqual(['registry.example/app:v3', 'registry.example/app-gpu:v3']);
  });

  it('templates and conditions', () => {
    expect(expandTemplate('v${a}-${b}', { a: '1', b: true }, 'x')).toBe('v1-true');
    expect(expandTemplate('${secret.key}', {}, 'x')).toBe('${secret.key}');
    expect(() => expandTemplate('${a}', {}, 'field f')).toThrow(/field f: parameter "a" has no value/);
    expect(whenHolds({ runtime: ['vllm', 'ollama'], gpu: true }, { runtime: 'ollama', gpu: true })).toBe(true);
    expect(whenHolds({ gpu: true }, { gpu: false })).toBe(false);
  });
});
