import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../../shared/errors';
import { checkModelRef } from '../hub/model-ref';
import { parseImageSource, type ImageSource } from '../sources/image-source';
import { isDerivedImage, type DerivedImageArtifactSpec, type ParamValues, type Recipe } from './recipe-schema';
import { expandTemplate, whenHolds } from './template';

export interface PlannedImage {
  id: string;
  /** As written after substitution: what the manifest records as the source. */
  source: string;
  from: ImageSource;
  /** Set when the tag is chosen at resolution: newest tag matching this regex in version order. */
  newest?: string;
  target?: string;
}

/** An image built from another image artifact of the plan plus one npm package layer. */
export interface PlannedDerived {
  id: string;
  /** id of the base image (a planned image or another derived one). */
  from: string;
  package: string;
  version: string;
  /** npm registry URL, no trailing slash. */
  registry: string;
  target: string;
}

export const DEFAULT_NPM_REGISTRY = 'https://registry.npmjs.org';

export interface PlannedModel {
  id: string;
  repo: string;
  revision: string;
  include?: string[];
  exclude?: string[];
}

export interface PlannedOllama {
  id: string;
  model: string;
}

export interface PlannedFiles {
  id: string;
  /** Absolute path of the local file or folder. */
  path: string;
  target?: string;
  include?: string[];
  exclude?: string[];
  optional: boolean;
}

export interface Plan {
  images: PlannedImage[];
  models: PlannedModel[];
  ollama: PlannedOllama[];
  files: PlannedFiles[];
  /** Derived images, bases first. */
  derived?: PlannedDerived[];
}

/** Turns a recipe and bound parameter values into the concrete artifacts to resolve. */
export function expandRecipe(recipe: Recipe, values: ParamValues, cwd = process.cwd()): Plan {
  const a = recipe.artifacts;
  const at = (kind: string, i: number, field: string) => `recipe ${recipe.id}: artifacts.${kind}.${i}.${field}`;
  const images: PlannedImage[] = [];
  const derived: { spec: DerivedImageArtifactSpec; i: number }[] = [];
  (a.images ?? []).forEach((img, i) => {
    if (!whenHolds(img.when, values)) return;
    if (isDerivedImage(img)) return void derived.push({ spec: img, i });
    const base = expandTemplate(img.source, values, at('images', i, 'source'));
    const rule = img.tag;
    let source = base;
    let newest: string | undefined;
    if (rule !== undefined) {
      if (typeof rule === 'object' && 'newest' in rule) newest = rule.newest;
      else {
        const tag = expandTemplate(typeof rule === 'string' ? rule : rule.template, values, at('images', i, 'tag'));
        source = `${base}:${tag}`;
      }
    }
    const from = parseImageSource(source);
    if (from.transport !== 'registry' && rule !== undefined) throw new UsageError(`${at('images', i, 'tag')}: a ${from.transport} source takes no tag rule`);
    if (from.transport === 'registry' && rule !== undefined && from.ref.digest) throw new UsageError(`${at('images', i, 'source')}: "${source}" pins a digest and also has a tag rule`);
    if (newest !== undefined && from.transport === 'registry' && base.split('/').pop()!.includes(':')) {
      throw new UsageError(`${at('images', i, 'source')}: "${base}" names a tag, but the tag rule picks one`);
    }
    images.push({ id: img.id, source, from, ...(newest !== undefined ? { newest } : {}), ...(img.target ? { target: img.target } : {}) });
  });
  const models: PlannedModel[] = [];
  (a.models ?? []).forEach((m, i) => {
    if (!whenHolds(m.when, values)) return;
    const repo = expandTemplate(m.repo, values, at('models', i, 'repo'));
    const revision = m.revision ? expandTemplate(m.revision, values, at('models', i, 'revision')) : 'main';
    checkModelRef({ repo, revision });
    models.push({ id: m.id, repo, revision, ...(m.include ? { include: m.include } : {}), ...(m.exclude ? { exclude: m.exclude } : {}) });
  });
  const ollama: PlannedOllama[] = [];
  (a.ollama ?? []).forEach((o, i) => {
    if (whenHolds(o.when, values)) ollama.push({ id: o.id, model: expandTemplate(o.model, values, at('ollama', i, 'model')) });
  });
  const files: PlannedFiles[] = [];
  (a.files ?? []).forEach((f, i) => {
    if (!whenHolds(f.when, values)) return;
    const src = expandTemplate(f.source, values, at('files', i, 'source'));
    const path = isAbsolute(src) ? src : resolve(cwd, src);
    files.push({ id: f.id, path, optional: f.optional ?? false, ...(f.target ? { target: f.target } : {}), ...(f.include ? { include: f.include } : {}), ...(f.exclude ? { exclude: f.exclude } : {}) });
  });
  return { images, models, ollama, files, derived: planDerived(derived, new Set(images.map((i) => i.id)), values, at) };
}

/** Orders derived images bases first; a base switched off by `when` is a usage error naming both. */
function planDerived(list: { spec: DerivedImageArtifactSpec; i: number }[], have: Set<string>, values: ParamValues, at: (kind: string, i: number, field: string) => string): PlannedDerived[] {
  const out: PlannedDerived[] = [];
  let pending = list;
  while (pending.length > 0) {
    const ready = pending.filter((d) => have.has(d.spec.from));
    if (ready.length === 0) {
      const d = pending[0]!;
      throw new UsageError(`${at('images', d.i, 'from')}: "${d.spec.id}" is built on "${d.spec.from}", which these parameters leave out`, 'Set the parameters so the base image is included, or leave the derived image out too.');
    }
    for (const { spec, i } of ready) {
      have.add(spec.id);
      const registry = spec.npm.registry ? expandTemplate(spec.npm.registry, values, at('images', i, 'npm.registry')) : DEFAULT_NPM_REGISTRY;
      out.push({
        id: spec.id,
        from: spec.from,
        package: expandTemplate(spec.npm.package, values, at('images', i, 'npm.package')),
        version: expandTemplate(spec.npm.version, values, at('images', i, 'npm.version')),
        registry: registry.replace(/\/+$/, ''),
        target: spec.target,
      });
    }
    pending = pending.filter((d) => !ready.includes(d));
  }
  return out;
}
