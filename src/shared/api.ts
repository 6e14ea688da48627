import type { MediaInvokeApi } from './api-media';
import { CHANNELS, type DeclaredApi } from './channels';
import { INSTALL_CHANNELS, type InstallInvokeApi } from './api-install';
import { REVIEW_CHANNELS, type ReviewInvokeApi } from './api-review';
import { SETTINGS_CHANNELS, type SettingsInvokeApi } from './api-settings';
import { ONBOARDING_CHANNELS, type OnboardingInvokeApi } from './api-onboarding';
import { OVERRIDE_CHANNELS, type ApprovalStateView, type OverrideInvokeApi } from './api-overrides';

// The typed API contract between the main process (or headless server) and the renderer.
// Every invoke channel takes one argument object and resolves to one value; events flow
// from main to renderer only. Transports (Electron IPC, loopback HTTP) carry exactly this.

export type JobKind = 'bundle.create' | 'bundle.verify' | 'bundle.import' | 'media.write' | 'media.verify' | 'media.assemble' | 'install.run' | 'upgrade.run';
export type JobState = 'running' | 'succeeded' | 'failed' | 'canceled';

export interface ErrorShape {
  name: string;
  message: string;
  /** What the user should do about it, when Ferry knows. */
  hint?: string;
}

export interface JobItem {
  /** Stable key within the job, e.g. an image reference or a model file path. */
  id: string;
  label: string;
  bytesDone: number;
  bytesTotal: number;
  state: 'pending' | 'running' | 'done' | 'skipped' | 'failed';
}

export interface JobInfo {
  id: string;
  kind: JobKind;
  title: string;
  state: JobState;
  phase: string;
  createdAt: string;
  finishedAt?: string;
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second over the last few seconds. */
  rate: number;
  items: JobItem[];
  error?: ErrorShape;
  result?: unknown;
}

export interface CustodyEvent {
  seq: number;
  eventId: string;
  bundleId: string | null;
  type: string;
  actor: string;
  role: string;
  station: string;
  /** ISO 8601 with the station's UTC offset, e.g. 2026-11-23T07:12:03.120+01:00 */
  at: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
  /** Where the station is (from its settings); covered by the hash when present. */
  location?: string;
  /** Fingerprint (sha256 hex of the raw Ed25519 key) of the identity that signed; covered by the hash. */
  signer?: string;
  /** Ed25519 signature (base64) over the event hash by `signer`. */
  signature?: string;
}

export interface AppInfo {
  version: string;
  dataDir: string;
  station: string;
  actor: string;
  defaultHubUrl: string;
  defaultPlatform: string;
}

export interface CreateBundleRequest {
  images: string[];
  /** REPO or REPO@REVISION */
  models: string[];
  outDir: string;
  hubUrl?: string;
  platform?: string;
  insecureRegistries?: string[];
  /** Recipe id (or path to a recipe file); its artifacts are bundled with any images/models given. */
  recipe?: string;
  /** Recipe parameter values (`--set name=value`). */
  params?: Record<string, string>;
  /** `SOURCE=HOST[:PORT][/PREFIX]`: fetch SOURCE's content from a mirror; the bundle keeps the source names. */
  mirrors?: string[];
  /** A lock file (`ferry recipe resolve --lock-out`) to acquire exactly, instead of resolving. */
  lockFile?: string;
  /** Ollama models NAME[:TAG]. */
  ollama?: string[];
  /** Local files or folders. */
  files?: string[];
  /** Hugging Face cache folder to take model files from before the hub. */
  hfCache?: string;
  /** Ollama models folder to take Ollama models from before the registry. */
  ollamaDir?: string;
  /** Parallel transfers (default 8). */
  concurrency?: number;
  /** A signed offline inventory file (`ferry inventory export`): leave out what it lists, making a delta bundle. */
  inventory?: string;
  /** A Markdown file carried as notes/RELEASE-NOTES.md (shown by `ferry upgrade`). */
  releaseNotes?: string;
  /** A Markdown file carried as notes/MIGRATION-GUIDE.md (shown by `ferry upgrade`). */
  migrationGuide?: string;
}

export interface RecipeParameterInfo {
  name: string;
  type: 'string' | 'enum' | 'bool';
  default?: string | boolean;
  choices?: string[];
  /** Regular expression a string value must match. */
  pattern?: string;
  description?: string;
  stage?: 'acquire' | 'install';
}

export interface RecipeInfo {
  id: string;
  title: string;
  description?: string;
  version: string;
  origin: 'builtin' | 'user';
  file: string;
  parameters: RecipeParameterInfo[];
  /** Artifact ids per kind, before parameters are applied. */
  artifacts: { images: string[]; models: string[]; ollama: string[]; files: string[] };
  /** The full recipe document (see docs/recipe.schema.json). */
  recipe?: unknown;
}

export interface ResolveRecipeRequest {
  recipe: string;
  params?: Record<string, string>;
  platform?: string;
  hubUrl?: string;
  mirrors?: string[];
  insecureRegistries?: string[];
  hfCache?: string;
  ollamaDir?: string;
}

/** One pinned artifact of a lock, for the preview before anything is fetched. */
export interface LockEntry {
  kind: 'image' | 'model' | 'ollama' | 'files';
  id: string;
  source: string;
  /** Manifest digest, commit, or `N files`. */
  pinned: string;
  size: number;
  /** Images: the tag the rule resolved to, and the platform chosen. */
  tag?: string;
  platform?: string;
  /** Models and local files: how many files. */
  files?: number;
}

export interface ResolvedRecipe {
  lockId: string;
  entries: LockEntry[];
  /** Bytes to acquire, shared blobs counted once. */
  totalBytes: number;
  /** The lock itself (docs/recipes.md, "Locks"). */
  lock: unknown;
}

export interface VerifyRequest {
  dir: string;
}

export interface VerifyProblem {
  kind: 'missing' | 'extra' | 'mismatch' | 'size' | 'manifest' | 'unsafe-path';
  path: string;
  detail: string;
}

export interface VerifyResult {
  ok: boolean;
  bundleId: string | null;
  checkedFiles: number;
  checkedBytes: number;
  problems: VerifyProblem[];
  /** Approval state beside the hashes (who approved, key pinned or not, policy met); absent when the manifest cannot be read. */
  approval?: ApprovalStateView;
}

export interface ImportRequest {
  dir: string;
  /** HOST[:PORT][/PREFIX] */
  registry?: string;
  caFile?: string;
  username?: string;
  password?: string;
  insecureRegistries?: string[];
  docker?: boolean;
  /** Docker engine address (unix:///path or tcp://host:port); default DOCKER_HOST or the local socket. */
  dockerHost?: string;
  modelsDir?: string;
  /** OLLAMA_MODELS folder to restore the bundle's Ollama models into. */
  ollamaModels?: string;
  /** Ollama server (http://HOST:PORT) that must then list them in /api/tags. */
  ollamaUrl?: string;
}

export interface ImportedImage {
  source: string;
  target: string;
  digest: string;
  blobsUploaded: number;
  blobsSkipped: number;
}

export interface ImportResult {
  bundleId: string;
  registry: ImportedImage[];
  docker: { source: string; tag: string; imageId: string }[];
  models: { repo: string; dir: string; files: number; bytes: number }[];
  /** Ollama models restored into the OLLAMA_MODELS folder (--ollama-models). */
  ollama?: OllamaRestored[];
  /** The Ollama server that listed every restored model (--ollama-url). */
  ollamaConfirmed?: { url: string; version?: string };
}

/** An Ollama model restored into OLLAMA_MODELS; digest and size as Ollama's /api/tags reports them. */
export interface OllamaRestored {
  /** Ollama's name for it, e.g. llama3.1:8b. */
  name: string;
  /** sha256:<hex> of the manifest file (/api/tags shows the hex). */
  digest: string;
  /** Config + layers, in bytes. */
  size: number;
  /** The manifest file written. */
  manifest: string;
  blobsWritten: number;
  blobsSkipped: number;
  bytesWritten: number;
}

export interface ListCustodyRequest {
  bundleId?: string;
  limit?: number;
}

export interface InvokeApi extends DeclaredApi, ReviewInvokeApi, MediaInvokeApi, InstallInvokeApi, SettingsInvokeApi, OnboardingInvokeApi, OverrideInvokeApi {
  'app:info': (arg: Record<string, never>) => Promise<AppInfo>;
  'bundle:create': (arg: CreateBundleRequest) => Promise<JobInfo>;
  'bundle:verify': (arg: VerifyRequest) => Promise<JobInfo>;
  'bundle:import': (arg: ImportRequest) => Promise<JobInfo>;
  'job:list': (arg: Record<string, never>) => Promise<JobInfo[]>;
  'job:get': (arg: { id: string }) => Promise<JobInfo>;
  'job:cancel': (arg: { id: string }) => Promise<JobInfo>;
  'custody:list': (arg: ListCustodyRequest) => Promise<CustodyEvent[]>;
  'recipe:list': (arg: Record<string, never>) => Promise<RecipeInfo[]>;
  'recipe:show': (arg: { id: string }) => Promise<RecipeInfo>;
  'recipe:resolve': (arg: ResolveRecipeRequest) => Promise<ResolvedRecipe>;
}

export interface EventApi {
  'job:update': JobInfo;
  'custody:appended': CustodyEvent;
}

export type InvokeChannel = keyof InvokeApi;
export type EventChannel = keyof EventApi;
export type InvokeArg<C extends InvokeChannel> = Parameters<InvokeApi[C]>[0];
export type InvokeResult<C extends InvokeChannel> = Awaited<ReturnType<InvokeApi[C]>>;

/** Runtime list so transports can refuse anything else. */
export const INVOKE_CHANNELS: readonly InvokeChannel[] = [
  ...(Object.keys(CHANNELS) as (keyof typeof CHANNELS)[]),
  ...REVIEW_CHANNELS,
  ...INSTALL_CHANNELS,
  ...SETTINGS_CHANNELS,
  ...ONBOARDING_CHANNELS,
  ...OVERRIDE_CHANNELS,
  'media:detect',
  'media:plan',
  'media:write',
  'media:verify',
  'app:info',
  'bundle:create',
  'bundle:verify',
  'bundle:import',
  'job:list',
  'job:get',
  'job:cancel',
  'custody:list',
  'recipe:list',
  'recipe:show',
  'recipe:resolve',
];
export const EVENT_CHANNELS: readonly EventChannel[] = ['job:update', 'custody:appended'];

/** What the renderer sees, whichever transport carries it. */
export interface FerryApi {
  invoke<C extends InvokeChannel>(channel: C, arg: InvokeArg<C>): Promise<InvokeResult<C>>;
  on<E extends EventChannel>(event: E, listener: (payload: EventApi[E]) => void): () => void;
}
