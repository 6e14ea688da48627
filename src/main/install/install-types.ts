import type { InstallParameterView, InstallStepKind } from '../../shared/api-install';
import type { ParamValues, Recipe } from '../recipes/recipe-schema';

// The engine's own records: what install-plan lays out and install-store keeps as `installs.plan`.

/** One step as planned: what it does and the equivalent command, before any state. */
export interface PlannedStep {
  id: string;
  kind: InstallStepKind;
  title: string;
  description: string;
  command: string;
  undoable: boolean;
}

/** An image of the bundle, by the recipe's artifact id. */
export interface PlanImage {
  id: string;
  /** Name in the bundle's OCI layout and the manifest's fields the push needs. */
  name: string;
  source: string;
  registry: string;
  repository: string;
  target: string;
  tag?: string;
  digest: string;
}

export interface PlanModel {
  id: string;
  repo: string;
  revision: string;
  size: number;
  /** Folder in the bundle, e.g. models/org--name. */
  dir: string;
}

/** A `files` artifact of the bundle (configuration, knowledge base): its folder and every file's hash. */
export interface PlanFile {
  id: string;
  /** Folder in the bundle, e.g. files/policy-config. */
  dir: string;
  files: { path: string; size: number; sha256: string }[];
}

export interface StoredPlan {
  bundleId: string;
  recipe: Recipe;
  /** sha256 of the bundle's recipe.yaml (= lock.recipe.sha256). */
  recipeSha256: string;
  /** The folder the steps read the bundle from: the request's dir, or the volumes assembled under the install. */
  bundleDir: string;
  /** The values in use: the bundle's acquire parameters, install parameters, values the preflight filled in. */
  params: ParamValues;
  /** Names of install parameters the admin set (the preflight never overrides those). */
  setByAdmin: string[];
  parameters: InstallParameterView[];
  images: PlanImage[];
  models: PlanModel[];
  /** The bundle's `files` artifacts (absent in plans stored before compose stacks). */
  files?: PlanFile[];
  /** The engine kind the commands are written for (detected when a step first reaches the engine). */
  engine: 'docker' | 'podman';
  /** GPU memory the model needs, from the bundle's scan. */
  neededBytes?: number;
  steps: PlannedStep[];
}
