import type { z } from 'zod';
import { CHANNELS, type DeclaredApi } from './channels';
import type { CORE_CHANNELS } from './channels/core';
import type { ApprovalStateView } from './api-overrides';

// The typed API contract between the main process (or headless server) and the renderer.
// Every invoke channel takes one argument object and resolves to one value; events flow
// from main to renderer only. Transports (Electron IPC, loopback HTTP) carry exactly this.
// Each channel is declared once, by its request schema and result type, in src/shared/channels/;
// the view types live here and in api-*.ts.

type CoreArg<C extends keyof typeof CORE_CHANNELS> = z.input<(typeof CORE_CHANNELS)[C]['arg']>;

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
  /** `canceled`: it was under way when the job was canceled (run the job again to resume it). */
  state: 'pending' | 'running' | 'done' | 'skipped' | 'failed' | 'canceled';
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

export type CreateBundleRequest = CoreArg<'bundle:create'>;

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

export type ResolveRecipeRequest = CoreArg<'recipe:resolve'>;

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

export type VerifyRequest = CoreArg<'bundle:verify'>;

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

export type ImportRequest = CoreArg<'bundle:import'>;

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
  /** Each target nothing was delivered to, and why ("not asked", "no image in this bundle"). */
  skipped: ImportSkip[];
}

export interface ImportSkip {
  target: 'registry' | 'docker' | 'models' | 'ollama';
  reason: string;
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

export type ListCustodyRequest = CoreArg<'custody:list'>;

/** Every channel's typed function: exactly what src/shared/channels/ declares. */
export type InvokeApi = DeclaredApi;

export interface EventApi {
  'job:update': JobInfo;
  'custody:appended': CustodyEvent;
}

export type InvokeChannel = keyof InvokeApi;
export type EventChannel = keyof EventApi;
export type InvokeArg<C extends InvokeChannel> = Parameters<InvokeApi[C]>[0];
export type InvokeResult<C extends InvokeChannel> = Awaited<ReturnType<InvokeApi[C]>>;

/** Runtime list so transports can refuse anything else: the declared channels. */
export const INVOKE_CHANNELS = Object.keys(CHANNELS) as readonly InvokeChannel[];
export const EVENT_CHANNELS: readonly EventChannel[] = ['job:update', 'custody:appended'];

/** What the renderer sees, whichever transport carries it. */
export interface FerryApi {
  invoke<C extends InvokeChannel>(channel: C, arg: InvokeArg<C>): Promise<InvokeResult<C>>;
  on<E extends EventChannel>(event: E, listener: (payload: EventApi[E]) => void): () => void;
}
