import { writeFile } from 'node:fs/promises';
import { BomSchemaUnavailableError, bomBytes, bomText, type BomJson } from './cyclonedx';
import { componentCounts, kitBesideBundle, readBundleBom } from './bom-read';
import { toSpdx } from './spdx';

export type BomFormat = 'cyclonedx' | 'spdx';

export interface BomExport {
  /** The document, as it is printed or written. */
  text: string;
  format: BomFormat;
  bundleId: string;
  /** sha256 of the stored bom.cdx.json (what the manifest records). */
  sha256: string;
  components: number;
  /** True when an offline kit beside the bundle (ferry/kit.json) was added to the stored BOM. */
  kit: boolean;
  /** Set when the export could not be validated again (the kit was added where the schema files are absent). */
  warning?: string;
}

/**
 * The bundle's BOM for export: the stored bom.cdx.json (checked against the manifest) or its SPDX 2.3
 * conversion. When the directory also holds the offline kit (volume 1 of a media set), the kit is
 * added as a component (BOM version 2 of the same serial number) and the result validated again.
 */
export async function exportBom(dir: string, format: BomFormat = 'cyclonedx'): Promise<BomExport> {
  const stored = await readBundleBom(dir);
  let json: BomJson = stored.json;
  let text = stored.bytes.toString('utf8');
  const kit = await kitBesideBundle(dir);
  let warning: string | undefined;
  if (kit) {
    json = { ...json, version: 2, components: [...(json.components ?? []), kit] };
    try {
      text = (await bomBytes(json)).toString('utf8');
    } catch (err) {
      // The stored part was validated when the bundle was made; the kit component is Ferry's own fixed shape.
      if (!(err instanceof BomSchemaUnavailableError)) throw err;
      text = bomText(json);
      warning = `the BOM with the kit added was not validated: ${err.message}`;
    }
  }
  if (format === 'spdx') text = `${JSON.stringify(toSpdx(json), null, 2)}\n`;
  return { text, format, bundleId: stored.manifest.bundleId, sha256: stored.sha256, components: componentCounts(json).total, kit: kit !== undefined, ...(warning ? { warning } : {}) };
}

/** Writes the export to `path` (a regular file, replaced if it exists). */
export async function writeBomExport(e: BomExport, path: string): Promise<void> {
  await writeFile(path, e.text);
}
