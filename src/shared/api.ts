// The typed API contract between the main process (or headless server) and the renderer.
// Every invoke channel takes one argument object and resolves to one value; events flow
// from main to renderer only. Transports (Electron IPC, loopback HTTP) carry exactly this.

export type JobKind = 'bundle.create' | 'bundle.verify' | 'bundle.import' | 'media.write' | 'media.verify' | 'media.assemble';
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
}

export interface ListCustodyRequest {
  bundleId?: string;
  limit?: number;
}

export interface InvokeApi {
  'app:info': (arg: Record<string, never>) => Promise<AppInfo>;
  'bundle:create': (arg: CreateBundleRequest) => Promise<JobInfo>;
  'bundle:verify': (arg: VerifyRequest) => Promise<JobInfo>;
  'bundle:import': (arg: ImportRequest) => Promise<JobInfo>;
  'job:list': (arg: Record<string, never>) => Promise<JobInfo[]>;
  'job:get': (arg: { id: string }) => Promise<JobInfo>;
  'job:cancel': (arg: { id: string }) => Promise<JobInfo>;
  'custody:list': (arg: ListCustodyRequest) => Promise<CustodyEvent[]>;
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
  'app:info',
  'bundle:create',
  'bundle:verify',
  'bundle:import',
  'job:list',
  'job:get',
  'job:cancel',
  'custody:list',
];
export const EVENT_CHANNELS: readonly EventChannel[] = ['job:update', 'custody:appended'];

/** What the renderer sees, whichever transport carries it. */
export interface FerryApi {
  invoke<C extends InvokeChannel>(channel: C, arg: InvokeArg<C>): Promise<InvokeResult<C>>;
  on<E extends EventChannel>(event: E, listener: (payload: EventApi[E]) => void): () => void;
}
