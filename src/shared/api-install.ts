// Contract for the offline side's guided install: a recipe's install steps, run one by one,
// each showing the equivalent command first, recorded in custody, re-runnable and undoable.

import type { z } from 'zod';
import type { ApiOf } from './contract';
import type { INSTALL_CHANNELS, installPlanRequest } from './channels/install';

export type InstallStepKind =
  | 'verify' // hashes, approvals, completeness of the volumes or bundle folder; records the receipt
  | 'push' // images to the internal registry (or load into the engine)
  | 'models' // model weights placed in the models directory, verified as written
  | 'ollama' // Ollama models restored into OLLAMA_MODELS with the names Ollama expects
  | 'files' // the bundle's files (configuration, knowledge base) placed under the install, hashed as written; YAML validated
  | 'preflight' // GPU preflight: engine runtimes / CDI devices, nvidia-smi, memory estimate
  | 'secrets' // generated on this host, 0600, fingerprints in custody
  | 'container' // one container started from the recipe
  | 'health' // every container's health checks green
  | 'verify-stack' // the recipe's stack-level checks (e.g. a chat completion through the gateway)
  | 'egress' // outside targets unreachable, internal targets reachable, from every container
  | 'outputs' // the values the admin enters in GitLab
  | 'agent-config'; // .gitlab/duo/agent-config.yml and the runner checklist

export type InstallStepState = 'pending' | 'running' | 'done' | 'failed' | 'undone' | 'skipped';

export interface InstallStepView {
  id: string; // stable, e.g. "verify", "push", "container:vllm", "health"
  kind: InstallStepKind;
  title: string;
  /** What the step will do, in words. */
  description: string;
  /** The equivalent shell command(s), secrets shown as $(cat FILE), never their values. */
  command: string;
  state: InstallStepState;
  undoable: boolean;
  startedAt?: string;
  finishedAt?: string;
  /** Last lines of the step's log (container logs for container/health steps). */
  log: string[];
  error?: { message: string; hint?: string };
  /** Step-specific result shown on screen (e.g. pushed digests, key fingerprints, health results). */
  result?: Record<string, unknown>;
}

export interface InstallOutputView {
  label: string;
  value: string;
}

export interface InstallView {
  installId: string;
  bundleId: string;
  recipe: { id: string; version: string; title: string };
  createdAt: string;
  updatedAt: string;
  /** The request as stored (passwords never stored). */
  request: Omit<InstallRequest, 'password'>;
  steps: InstallStepView[];
  /** Filled once the outputs step ran. */
  outputs: InstallOutputView[];
  /** The install-stage parameters with the values in use. */
  parameters: InstallParameterView[];
  /** Whether the registry password must be entered again (after a restart) before push can run. */
  needsPassword: boolean;
  /** What the step states add up to (planned: no step has run, or every one that ran was undone). */
  status: InstallStatus;
  /** `install:remove` may remove the record: no step has run without being undone. */
  removable: boolean;
}

export type InstallStatus = 'planned' | 'running' | 'partial' | 'failed' | 'installed';

export interface InstallParameterView {
  name: string;
  description?: string;
  type: 'string' | 'bool' | 'enum';
  choices?: string[];
  value?: string | boolean;
  /** No default: the plan cannot be laid out until a value is given. */
  required: boolean;
}

/** What a bundle will install, read before planning: its recipe and the parameters to fill in. */
export interface InstallInspectView {
  bundleId: string;
  recipe: { id: string; version: string; title: string };
  parameters: InstallParameterView[];
  /** The model's GPU-memory estimate from the scan, when the bundle has one. */
  neededBytes?: number;
  images: { id: string; target: string; tag?: string; digest: string }[];
  models: { id: string; repo: string; revision: string; size: number }[];
  /** Whether the recipe installs for GitLab (a flow executor image or a gitlab_domain parameter): then a GitLab CA and flow-execution settings apply. */
  gitlab: boolean;
}

/** What `install:plan` takes (its schema in src/shared/channels/install.ts is the declaration). */
export type InstallRequest = z.input<typeof installPlanRequest>;

export interface AgentCacheConfig {
  key?: string | { files: string[]; prefix?: string };
  paths: string[];
}

export interface GpuView {
  index: number;
  name: string;
  memoryTotalMiB: number;
  memoryFreeMiB: number;
}

export interface GpuPreflightView {
  ok: boolean;
  engine: { kind: 'docker' | 'podman'; version: string; nvidiaRuntime: boolean; cdiDevices: string[] };
  gpus: GpuView[];
  /** Bytes the bundle's model needs (from the scan's estimate), when known. */
  neededBytes?: number;
  suggestedTensorParallel?: number;
  /** How GPU containers will be requested on this engine and version (API device request, or the podman run command). */
  gpuRequest?: { via: 'api' | 'command'; flags: string[]; text: string };
  /** Plain-language reason when not ok, or notes when ok. */
  message: string;
  hint?: string;
}

export interface EgressResultView {
  container: string;
  target: string;
  expect: 'unreachable' | 'reachable';
  outcome: 'unreachable' | 'reachable' | 'error';
  ok: boolean;
  detail: string;
}

export interface EgressReportView {
  ok: boolean;
  checkedAt: string;
  results: EgressResultView[];
}

export interface ChecklistItem {
  id: string;
  text: string;
  detail?: string;
}

export interface AgentConfigView {
  path: string; // .gitlab/duo/agent-config.yml
  yaml: string;
  checklist: ChecklistItem[];
}

export type InstallInvokeApi = ApiOf<typeof INSTALL_CHANNELS>;
