/** The scan report embedded per model artifact in the bundle manifest (validated by scan-schema.ts). */
/** 'info' cannot run code; 'dangerous' blocks. 'suspicious' is no longer emitted (older reports) and blocks too. */
export type Severity = 'info' | 'suspicious' | 'dangerous';

export interface Finding {
  /** Relative to the scanned folder ('/'-separated); for a single file, its base name. */
  file: string;
  /** Stable rule id, e.g. `pickle.dangerous-import` (see rules.ts). */
  rule: string;
  severity: Severity;
  /** What was found, with offsets and names. */
  detail: string;
  /** Plain language for reviewers. */
  explanation: string;
}

/**
 * The antivirus pass. 'not-run': the engine is not installed or was not asked to run; 'error': it ran
 * but could not scan (no signature database, engine failure, timeout). Neither is clean; `detail`
 * says why in plain words.
 */
export interface AntivirusSummary {
  status: 'clean' | 'infected' | 'not-run' | 'error';
  engine?: string;
  detail?: string;
  /** Date of the signature database used, as the engine reports it (e.g. ClamAV's daily.cvd build time). */
  signaturesDate?: string;
}

export interface Licence {
  id: string;
  name?: string;
  link?: string;
  source: string;
}

export interface ParameterCount {
  total: number;
  byDtype: Record<string, number>;
}

export interface GpuMemoryEstimate {
  weightsBytes: number;
  kvCacheBytes: number;
  overheadBytes: number;
  totalBytes: number;
  assumptions: string[];
}

export interface ScanError {
  file: string;
  detail: string;
}

export interface ScanReport {
  scannedAt: string;
  files: number;
  bytes: number;
  findings: Finding[];
  /**
   * True when anything is not known safe: any finding that is not 'info', or any file that could not
   * be read (`errors`). A blocked bundle cannot be approved, written or imported without an override.
   */
  blocked: boolean;
  antivirus: AntivirusSummary;
  licence?: Licence;
  parameters?: ParameterCount;
  gpuMemory?: GpuMemoryEstimate;
  /** Files that could not be read; a report with errors is incomplete. */
  errors: ScanError[];
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, suspicious: 1, dangerous: 2 };
