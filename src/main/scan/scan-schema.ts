import { z } from 'zod';
import type { ScanReport } from './types';

/** Bounds of a ScanReport embedded in the bundle manifest; scan-report.ts caps to these. */
export const SCAN_LIMITS = {
  findings: 5000,
  errors: 1000,
  file: 4096,
  detail: 2000,
  explanation: 1000,
  assumptions: 20,
  assumption: 500,
  dtypes: 64,
} as const;

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const text = (max: number) => z.string().max(max);

export const SeveritySchema = z.enum(['info', 'suspicious', 'dangerous']);

export const FindingSchema = z.strictObject({
  file: text(SCAN_LIMITS.file).min(1),
  rule: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'must be a dotted rule id').max(64),
  severity: SeveritySchema,
  detail: text(SCAN_LIMITS.detail),
  explanation: text(SCAN_LIMITS.explanation),
});

export const ScanReportSchema = z
  .strictObject({
    scannedAt: text(64).min(1),
    files: count,
    bytes: count,
    findings: z.array(FindingSchema).max(SCAN_LIMITS.findings),
    blocked: z.boolean(),
    antivirus: z.strictObject({
      status: z.enum(['clean', 'infected', 'not-run', 'error']),
      engine: text(200).optional(),
      detail: text(1000).optional(),
      signaturesDate: text(64).optional(),
    }),
    licence: z
      .strictObject({ id: text(512).min(1), name: text(512).optional(), link: text(512).optional(), source: text(512) })
      .optional(),
    parameters: z
      .strictObject({
        total: count,
        byDtype: z.record(z.string().regex(/^[A-Z0-9_]{1,16}$/), count).refine((r) => Object.keys(r).length <= SCAN_LIMITS.dtypes, 'too many dtypes'),
      })
      .optional(),
    gpuMemory: z
      .strictObject({
        weightsBytes: count,
        kvCacheBytes: count,
        overheadBytes: count,
        totalBytes: count,
        assumptions: z.array(text(SCAN_LIMITS.assumption)).max(SCAN_LIMITS.assumptions),
      })
      .optional(),
    errors: z.array(z.strictObject({ file: text(SCAN_LIMITS.file), detail: text(SCAN_LIMITS.detail) })).max(SCAN_LIMITS.errors),
  })
  .refine((r) => r.blocked === (r.findings.some((f) => f.severity !== 'info') || r.errors.length > 0), {
    message: 'blocked must be true exactly when a finding is not informational or a file could not be read',
    path: ['blocked'],
  });

// The schema and the hand-written types must describe the same shape.
type Parsed = z.infer<typeof ScanReportSchema>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShape: Same<Parsed, ScanReport> = true;
void sameShape;
