import { z } from 'zod';
import { channel } from '../contract';
import { MANUAL_EVENT_TYPES, type ManualEventType } from '../manual-events';
import type { CustodyEvent } from '../api';

// The offline admin's custody work: take in the log a bundle carries, record steps done by hand
// (media serials, seals, receipt), and export a report the browser downloads.

export interface CustodyImportResult {
  bundleId: string;
  origin: { station: string; location?: string };
  events: number;
  added: number;
  alreadyHad: number;
  headHash: string | null;
  headSigned: boolean;
  headSigner?: { name: string; fingerprint: string; pinned: boolean };
  /** Events from other bundles between these in the origin's chain. */
  interleaved: number;
  /** The local event that continues the chain from the imported head. */
  localSeq: number;
}
/** Steps a person records by hand (the CLI's `ferry custody record TYPE`). */
export { MANUAL_EVENT_TYPES, type ManualEventType };

/** A report as a file to download: the server never writes it anywhere. */
export interface ReportFile {
  fileName: string;
  mediaType: 'text/html' | 'application/pdf' | 'text/csv';
  /** The file's bytes, base64. */
  contentBase64: string;
  bytes: number;
}

const detailValue = z.union([z.string().max(1024), z.array(z.string().max(1024)).max(100)]);

export const CUSTODY_ADMIN_CHANNELS = {
  /** Take in the custody log carried by the bundle at `dir` (a folder or an assembled set). */
  'custody:import': channel(z.strictObject({ dir: z.string().min(1).max(4096) })).returns<CustodyImportResult>(),
  /** Record a step done by hand, signed by the caller. */
  'custody:record': channel(
    z.strictObject({
      type: z.enum(MANUAL_EVENT_TYPES),
      bundleId: z.string().min(1).max(128),
      details: z.record(z.string().regex(/^[A-Za-z][\w.-]{0,63}$/), detailValue).optional(),
      role: z.enum(['operator', 'reviewer', 'admin']).optional(),
    }),
  ).returns<CustodyEvent>(),
  /** The custody report of one bundle as a file (HTML, PDF or CSV). `bundleDir` adds the manifest and an approvals check. */
  'custody:report': channel(
    z.strictObject({ bundleId: z.string().min(1).max(128), format: z.enum(['html', 'pdf', 'csv']), bundleDir: z.string().min(1).max(4096).optional() }),
  ).returns<ReportFile>(),
};
