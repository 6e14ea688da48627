// Contract for the offline side's guided install: a recipe's install steps, run one by one,
// each showing the equivalent command first, recorded in custody, re-runnable and undoable.

import type { JobInfo } from './api';

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
}

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
}

export interface InstallRequest {
  /** A bundle folder, or the mounted volumes of a split bundle (any order). */
  dir?: string;
  volumes?: string[];
  /** Internal registry and prefix, e.g. registry.internal.example.com/duo. Absent: images are loaded into the engine. */
  registry?: string;
  caFile?: string;
  username?: string;
  password?: string;
  insecureRegistries?: string[];
  /** Docker or Podman socket (unix:///run/podman/podman.sock); default DOCKER_HOST or the local socket. */
  dockerHost?: string;
  /** Where model weights are placed, e.g. /data/models. */
  modelsDir: string;
  /** Install-stage parameters (gitlab_domain, ai_gateway_host, …) and overrides. */
  params?: Record<string, string | boolean>;
  /** A private CA bundle GitLab's certificate chains to: mounted and set as REQUESTS_CA_BUNDLE / SSL_CERT_FILE. */
  gitlabCaFile?: string;
  /** GPU use: 'require' (default; refuses without GPUs) or 'none' (stand-ins and CPU-only tests: no device requests). */
  gpu?: 'require' | 'none';
  egress: {
    /** host:port targets that must be unreachable from every container (no default in tests: always set). */
    outside: string[];
    /** host:port or http(s) URLs that must be reachable from every container. */
    internal?: string[];
  };
  /** Agent Platform flow execution (GitLab Duo recipe): optional setup_script and cache for agent-config.yml. */
  agentConfig?: { setupScript?: string[]; cache?: AgentCacheConfig };
  /** Seconds to wait for each container's health checks (default 600: vLLM loads weights for minutes). */
  healthTimeout?: number;
  /** The admin's exact allowances for what reaches beyond the stack (`mount:/path`, `target:host:port`); recorded in custody. */
  allow?: string[];
}

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

export interface InstallInvokeApi {
  /** Reads the bundle's recipe (recipe.yaml, checked against lock.json) and lists the parameters to fill in. */
  'install:inspect': (arg: { dir?: string; volumes?: string[] }) => Promise<InstallInspectView>;
  /** Reads the bundle's recipe and lock and lays out the steps (nothing runs); missing required parameters are named. */
  'install:plan': (arg: InstallRequest) => Promise<InstallView>;
  'install:get': (arg: { installId: string }) => Promise<InstallView>;
  'install:list': (arg: Record<string, never>) => Promise<InstallView[]>;
  /** Runs one step, or (no stepId) every step from the first not done, stopping at a failure. */
  'install:run': (arg: { installId: string; stepId?: string; password?: string }) => Promise<JobInfo>;
  'install:undo': (arg: { installId: string; stepId: string }) => Promise<JobInfo>;
  'install:preflight': (arg: { dockerHost?: string; neededBytes?: number }) => Promise<GpuPreflightView>;
}

export const INSTALL_CHANNELS = ['install:inspect', 'install:plan', 'install:get', 'install:list', 'install:run', 'install:undo', 'install:preflight'] as const satisfies readonly (keyof InstallInvokeApi)[];
