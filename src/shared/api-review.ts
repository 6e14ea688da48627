// Contract for reading a bundle as a reviewer: the manifest as a document with scan results.

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
  layers: string[];
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
}

export interface BundleDocument {
  dir: string;
  manifestSha256: string;
  bundleId: string;
  createdAt: string;
  createdBy: { actor: string; station: string };
  blocked: boolean;
  scannedAt?: string;
  files: number;
  bytes: number;
  artifacts: (ImageArtifactView | ModelArtifactView)[];
}

export interface ReviewInvokeApi {
  'bundle:manifest': (arg: { dir: string }) => Promise<BundleDocument>;
}
