import type { BomView } from '../../shared/api-review';
import type { BundleManifest } from '../bundle/manifest-schema';
import { componentCounts, readBundleBom } from './bom-read';

/** The `bom` part of the review document: the stored BOM's identity and component counts, or why it cannot be read. */
export async function bomDocument(dir: string, m: BundleManifest): Promise<{ bom?: BomView }> {
  if (!m.bom) return {};
  const base = { path: m.bom.path, sha256: m.bom.sha256, format: m.bom.format, specVersion: m.bom.specVersion };
  try {
    const { json } = await readBundleBom(dir);
    return { bom: { ...base, serialNumber: String(json.serialNumber ?? ''), components: componentCounts(json) } };
  } catch (err) {
    return { bom: { ...base, serialNumber: '', components: { total: 0, topLevel: 0, byType: {} }, problem: (err as Error).message } };
  }
}
