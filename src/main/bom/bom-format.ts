import { FerryError } from '../../shared/errors';

// What a BOM is, without the CycloneDX library: readers (bom-read.ts, on the verify and review
// paths) need only these, so they do not load the library and its validator (cyclonedx.ts does).

export const BOM_FILE = 'bom.cdx.json';
export const BOM_FORMAT = 'CycloneDX';
export const BOM_SPEC_VERSION = '1.6';

export class BomError extends FerryError {
  constructor(message: string, hint?: string) {
    super(message, hint, 'BomError');
  }
}

/** A CycloneDX JSON document as plain data (what the serializer writes and the validator reads). */
export type BomJson = Record<string, unknown> & { components?: BomJsonComponent[]; metadata?: { component?: BomJsonComponent } };
export interface BomJsonComponent {
  type: string;
  name: string;
  'bom-ref'?: string;
  group?: string;
  version?: string;
  purl?: string;
  hashes?: { alg: string; content: string }[];
  components?: BomJsonComponent[];
  [k: string]: unknown;
}
