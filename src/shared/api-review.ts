// Contract for reading a bundle as a reviewer: the manifest as a document with scan results.
import type { OverrideDocumentPart } from './api-overrides';
import type { ApiOf } from './contract';
import type { REVIEW_CHANNELS } from './channels/review';

export type Severity = 'info' | 'suspicious' | 'dangerous';

export interface FindingView {
  file: string;
  rule: string;
  severity: Severity;
  detail: string;
  explanation: string;
}

export interface ScanView {
  scannedAt: string;
  blocked: boolean;
  findings: FindingView[];
  antivirus: { status: 'clean' | 'infected' | 'not-run' | 'error'; engine?: string; detail?: string };
  licence?: { id: string; name?: string; link?: string; source: string };
  parameters?: { total: number; byDtype: Record<string, number> };
  gpuMemory?: { weightsBytes: number; kvCacheBytes: number; overheadBytes: number; totalBytes: number; assumptions: string[] };
  errors: { file: string; detail: string }[];
}

export interface ImageArtifactView {
  kind: 'image';
  name: string;
  source: string;
  digest: string;
  platform: string;
  size: number;
  /** The layers the bundle manifest lists. */
  layers: string[];
  registry: string;
  repository: string;
  tag?: string;
  target?: string;
  /** Where it will be pushed on the offline side (rendered by the destination function delivery uses). */
  destination: string;
  /** The layers as the image manifest itself lists them (read from images/); absent when it could not be read. */
  manifestLayers?: { digest: string; size: number; mediaType: string }[];
  /** The signature policy's verdict for this image and the signature/attestation manifests carried with it. */
  signatures?: { policy: string; verdict: 'verified' | 'not-required'; kind?: 'cosign-key' | 'sigstore-bundle'; keyFingerprint?: string; identity?: string; signer?: string; artifacts: { digest: string; mediaType: string; tag?: string; artifactType?: string }[] };
}

export interface ModelArtifactView {
  kind: 'model';
  name: string;
  source: string;
  repo: string;
  revision: string;
  size: number;
  files: { path: string; size: number; sha256: string }[];
  scan?: ScanView;
  /** Where its weights will be placed on the offline side. */
  destination: string;
}

export interface OllamaArtifactView {
  kind: 'ollama';
  name: string;
  source: string;
  digest: string;
  size: number;
  files: { path: string; size: number; sha256: string }[];
  /** The manifest path inside OLLAMA_MODELS on the offline side. */
  destination: string;
}

export interface FilesArtifactView {
  kind: 'files';
  name: string;
  source: string;
  size: number;
  files: { path: string; size: number; sha256: string }[];
  /** The folder the files are placed in on the offline side. */
  destination: string;
}

export type ArtifactView = ImageArtifactView | ModelArtifactView | OllamaArtifactView | FilesArtifactView;

/** One mount of a recipe container, classified. */
export interface MountView {
  spec: string;
  /** artifact: a bundle artifact's folder; named: an engine volume; host: a host path (needs the admin's allowance); socket: the engine's socket. */
  kind: 'artifact' | 'named' | 'host' | 'socket';
  readOnly: boolean;
}

export interface ContainerSurfaceView {
  name: string;
  /** Engine container name (ferry-NAME). */
  engineName: string;
  image: string;
  command: string[];
  /** Environment variable names only (values may hold secrets). */
  env: string[];
  ports: string[];
  mounts: MountView[];
  gpu?: string;
  health: string[];
  when?: Record<string, unknown>;
}

/** Something the recipe does that reaches beyond the stack: install refuses it without the admin's exact allowance. */
export interface SurfaceWarning {
  where: string;
  detail: string;
  /** The `--allow` value that permits it at install, when it is one. */
  allowance?: string;
}

/** What the recipe will run on the offline host. */
export interface RuntimeSurfaceView {
  recipe: string;
  containers: ContainerSurfaceView[];
  verify: { name: string; method: string; url: string }[];
  warnings: SurfaceWarning[];
}

/**
 * The offline kit the reviewed folder carries under ferry/ (a media volume, or a bundle folder the kit was put
 * into): approving records its digest (kit.json's sha256) in the signed statement, so the tool is approved with the content.
 */
export interface KitView {
  dir: string;
  version: string;
  commit: string;
  platform: string;
  nodeVersion: string;
  /** sha256 of kit.json: the kit's digest. */
  sha256: string;
  files: number;
  bytes: number;
}

/** Offline verify's word on the kit: which approvals (signed over this manifest) name its digest. */
export interface KitCoverageView {
  sha256: string;
  version: string;
  platform: string;
  /** Reviewers whose approval of this manifest records this kit's digest; empty: not covered (a warning, not a failure). */
  coveredBy: { name: string; fingerprint: string }[];
}

/** A bundle this station created, and whether it has been decided. */
export interface QueueItem {
  bundleId: string;
  dir: string;
  createdAt: string;
  createdBy: string;
  bytes: number;
  status: 'pending' | 'approved' | 'rejected';
  decidedBy?: string;
  decidedAt?: string;
}

export interface BundleDocument extends OverrideDocumentPart {
  dir: string;
  manifestSha256: string;
  bundleId: string;
  createdAt: string;
  createdBy: { actor: string; station: string; role?: string; fingerprint?: string; context?: { osUser: string; host: string } };
  /** Whether a named identity signed the creation (else why not): approval needs it (two-person rule by key). */
  creation: { signed: true; name: string; role: string; fingerprint: string } | { signed: false; reason: string };
  blocked: boolean;
  scannedAt?: string;
  files: number;
  bytes: number;
  artifacts: ArtifactView[];
  /** The recipe's runtime surface (absent for bundles made without a recipe). */
  runtime?: RuntimeSurfaceView;
  /** Reviewed identity vs delivery fields that disagree: verify refuses such a bundle. */
  deliveryProblems?: string[];
  /** Recipe id from the manifest's lock ('adhoc' without one). */
  recipe?: string;
  /** Against the newest bundle of the same recipe approved on this station; absent when none was. */
  diff?: BundleDiff;
  /** The bill of materials (bom.cdx.json) the manifest records; absent for bundles made before BOMs. */
  bom?: BomView;
  /** The offline kit in the folder's ferry/ (absent when there is none). */
  kit?: KitView;
  /** Why ferry/kit.json could not be read (the folder has a ferry/ that is not a sound kit). */
  kitProblem?: string;
}

export interface ArtifactChange {
  /** `kind:name`, stable across bundles of one recipe. */
  key: string;
  kind: string;
  name: string;
  source: string;
  /** Digest, revision or file-set digest. */
  pinned: string;
  /** For `changed`: what the approved bundle had. */
  before?: string;
  /** Where it goes on the offline side (bundle/destinations.ts), and, when that changed, where it went before. */
  destination?: string;
  destinationBefore?: string;
  /** An image's signature verdict (review/approved-store.ts signatureText), and, when that changed, what it was before. */
  signature?: string;
  signatureBefore?: string;
}

export interface FileChange {
  path: string;
  change: 'added' | 'removed' | 'changed';
  before?: string;
  after?: string;
}

export interface BundleDiff {
  against: { bundleId: string; approvedAt: string; manifestSha256: string; approvedBy: string };
  added: ArtifactChange[];
  removed: ArtifactChange[];
  changed: ArtifactChange[];
  /** By path and sha256; at most 500 listed, `filesChangedTotal` counts them all. */
  filesChanged: FileChange[];
  filesChangedTotal: number;
  /** The BOM's components (nested ones included) against the approved bundle's, by bom-ref; absent when either has no BOM summary. */
  bom?: { added: BomComponentChange[]; removed: BomComponentChange[]; changed: BomComponentChange[] };
}

/** The bill of materials as review shows it: what it is, and how many components of each type it lists. */
export interface BomView {
  path: string;
  sha256: string;
  format: 'CycloneDX';
  specVersion: string;
  serialNumber: string;
  components: { total: number; topLevel: number; byType: Record<string, number> };
  /** Set when bom.cdx.json could not be read or does not match the manifest (verify fails such a bundle). */
  problem?: string;
}

/** One BOM component that differs from the approved bundle's BOM. */
export interface BomComponentChange {
  ref: string;
  type: string;
  name: string;
  /** Version and SHA-256 now (for removed: what the approved bundle had). */
  version?: string;
  sha256?: string;
  /** For `changed`: what the approved bundle had. */
  before?: { version?: string; sha256?: string };
}

/** The identity this server process acts as, unlocked by identity:login. */
export interface SessionInfo {
  acting: { name: string; role: string; fingerprint: string } | null;
  lockAfterMinutes: number;
  /** When it locks unless something is done before (ISO time). */
  locksAt?: string;
}

export interface IdentityView {
  name: string;
  role: string;
  fingerprint: string;
  createdAt: string;
}

export interface DecisionResult {
  bundleId: string;
  manifestSha256: string;
  decision: 'approve' | 'reject';
  statementFile: string;
  custodySeq: number;
  reviewer: string;
  exportedEvents: number;
  /** The in-toto statement in a DSSE envelope (checkable with openssl). */
  envelopeFile: string;
  /** The bundle's custody log written into custody/, its head signed by the reviewer. */
  custody: { bundleId: string; count: number; headHash: string | null; signed: boolean; files: string[] };
  /** The offline kit's digest, signed with the decision, when the folder carries one. */
  kitSha256?: string;
}

export interface TrustedKeyView {
  fingerprint: string;
  /** `SHA256:ab12 cd34 …` */
  display: string;
  name: string;
  role: string;
  pinnedAt?: string;
  pinnedBy?: string;
  revokedAt?: string;
  revokeReason?: string;
}

export type TrustAddResult = { pinned: false; candidate: TrustedKeyView } | { pinned: true; key: TrustedKeyView };

export type ChainStateView =
  | { ok: true; count: number; signed?: number; unsignedTail?: number }
  | { ok: false; seq: number; eventId: string; kind: string; reason: string };

export interface CustodyVerifyResult {
  local: ChainStateView;
  /** Imported logs from other stations (all of them). */
  imported: { ok: boolean; detail?: string };
  /** Local events of this bundle, when one was asked for. */
  bundleEvents?: number;
}

export type ReviewInvokeApi = ApiOf<typeof REVIEW_CHANNELS>;
