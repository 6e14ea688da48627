import { z } from 'zod';

/**
 * How much a Sigstore bundle must prove beyond its certificate chain (docs/supply-chain.md,
 * "Sigstore bundles (keyless)").
 *
 * - `tlogThreshold`: Rekor entries the bundle must carry, each with an inclusion promise or
 *   proof verified against a log in the trusted root. The public-good Sigstore gives 1.
 * - `ctlogThreshold`: signed certificate timestamps (SCTs) embedded in the Fulcio certificate,
 *   verified against a CT log in the trusted root. The public-good Sigstore gives 1.
 *
 * A private Sigstore deployment without a transparency log sets both to 0 explicitly
 * (`privateDeploymentWithoutLogs` below). It still needs a trusted time: the Fulcio
 * certificate lives ~10 minutes, so the bundle must then carry an RFC 3161 timestamp from a
 * timestamp authority listed in the trusted root. At least one verified timestamp (Rekor's
 * integrated time or a TSA's) is always required: without one the certificate chain cannot
 * be checked at all.
 */
export const SigstoreLogPolicySchema = z.strictObject({
  tlogThreshold: z.number().int().min(0).max(8),
  ctlogThreshold: z.number().int().min(0).max(8),
});
export type SigstoreLogPolicy = z.infer<typeof SigstoreLogPolicySchema>;

/** What a real Sigstore deployment (Fulcio + Rekor + CT log) gives every signature. */
export const DEFAULT_SIGSTORE_LOG_POLICY: SigstoreLogPolicy = Object.freeze({ tlogThreshold: 1, ctlogThreshold: 1 });

/** A private Fulcio without Rekor or a CT log; the bundle's time comes from a TSA. */
export const NO_LOG_SIGSTORE_POLICY: SigstoreLogPolicy = Object.freeze({ tlogThreshold: 0, ctlogThreshold: 0 });

/** Verified timestamps always required (Rekor integrated time or RFC 3161), see above. */
export const SIGSTORE_TIMESTAMP_THRESHOLD = 1;
