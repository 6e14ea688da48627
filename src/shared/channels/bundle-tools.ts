import { z } from 'zod';
import { channel } from '../contract';
import type { ScanView } from '../api-review';

// Reading tools over a bundle or a model on this station: the model scanner and the bill of
// materials as a document (the CLI prints it or writes it to --out).

export interface ScanPathView extends ScanView {
  files: number;
  bytes: number;
}

export interface BomDocument {
  /** The document, as it is printed or written. */
  text: string;
  format: 'cyclonedx' | 'spdx';
  bundleId: string;
  /** sha256 of the stored bom.cdx.json (what the manifest records). */
  sha256: string;
  components: number;
  /** An offline kit beside the bundle (ferry/kit.json) was added. */
  kit: boolean;
  /** Set when the export could not be validated again. */
  warning?: string;
}

export const BUNDLE_TOOL_CHANNELS = {
  /** Scan a model file or folder (types from content); a path that cannot be scanned is a UsageError. */
  'scan:path': channel(z.strictObject({ path: z.string().min(1).max(4096) })).returns<ScanPathView>(),
  /** The bundle's bill of materials as CycloneDX 1.6 (as stored, checked against the manifest) or SPDX 2.3. */
  'bom:document': channel(z.strictObject({ dir: z.string().min(1).max(4096), format: z.enum(['cyclonedx', 'spdx']).optional() })).returns<BomDocument>(),
};
