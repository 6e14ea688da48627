import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readManifest } from '../bundle/manifest-io';
import type { BundleManifest } from '../bundle/manifest-schema';
import { MediaFileError, readMediaJson } from '../io/media-file';
import { readKit } from '../kit/kit-read';
import { LABEL_FILE } from '../media/label';
import { KIT_DIR, KIT_FILE, type KitManifest } from '../kit/kit-schema';
import { BOM_FILE, BomError, type BomJson, type BomJsonComponent } from './bom-format';

/** The bundle's stored BOM, read through the media reader and checked against the sha256 the manifest records. */
export async function readBundleBom(dir: string): Promise<{ json: BomJson; bytes: Buffer; sha256: string; manifest: BundleManifest; manifestSha256: string }> {
  const abs = resolve(dir);
  const { manifest, sha256: manifestSha256 } = await readManifest(abs);
  if (!manifest.bom) {
    throw new BomError(`${join(abs, 'manifest.json')} records no bill of materials: the bundle was made by a Ferry without BOMs.`, 'Create the bundle again with this version of Ferry to get bom.cdx.json.');
  }
  let read: { value: unknown; bytes: Buffer; sha256: string };
  try {
    read = await readMediaJson(abs, manifest.bom.path, 'bom');
  } catch (err) {
    if (err instanceof MediaFileError && err.code === 'ENOENT') {
      if (existsSync(join(abs, LABEL_FILE))) throw new BomError(`${BOM_FILE} is not on the volume ${abs}.`, 'Give the volume that holds it (the volume label lists its files), or assemble the bundle from its volumes first.');
      throw new BomError(`${join(abs, BOM_FILE)} is missing, though the manifest lists it.`, `Run ferry verify ${abs}: the bundle is incomplete.`);
    }
    throw err;
  }
  if (read.sha256 !== manifest.bom.sha256) {
    throw new BomError(`${join(abs, BOM_FILE)} does not match the manifest (sha256 ${read.sha256}, manifest says ${manifest.bom.sha256}).`, `Run ferry verify ${abs}: the bundle was altered after it was made.`);
  }
  if (!read.value || typeof read.value !== 'object' || Array.isArray(read.value)) throw new BomError(`${join(abs, BOM_FILE)} is not a JSON object.`);
  return { json: read.value as BomJson, bytes: read.bytes, sha256: read.sha256, manifest, manifestSha256 };
}

/** Every component of a BOM, nested ones included, in document order. */
export function flattenComponents(json: BomJson): { component: BomJsonComponent; parent?: string }[] {
  const out: { component: BomJsonComponent; parent?: string }[] = [];
  const walk = (list: BomJsonComponent[] | undefined, parent?: string): void => {
    for (const c of list ?? []) {
      out.push({ component: c, ...(parent ? { parent } : {}) });
      walk(c.components, c['bom-ref']);
    }
  };
  walk(json.components);
  return out;
}

/** Counts by component type (nested components included) and top-level artifacts, for review. */
export function componentCounts(json: BomJson): { total: number; topLevel: number; byType: Record<string, number> } {
  const all = flattenComponents(json);
  const byType: Record<string, number> = {};
  for (const { component } of all) byType[component.type] = (byType[component.type] ?? 0) + 1;
  return { total: all.length, topLevel: json.components?.length ?? 0, byType };
}

export const KIT_REF = 'kit:ferry';

/** The offline kit as a BOM component: its kit.json digest, and every file of the kit with its sha256. */
export function kitComponent(kit: KitManifest, sha256: string): BomJsonComponent {
  return {
    type: 'application',
    name: 'ferry-kit',
    version: kit.ferry.version,
    'bom-ref': KIT_REF,
    description: `Ferry offline kit (${kit.platform}, Node.js ${kit.node.version}); its digest is the sha256 of ferry/kit.json`,
    hashes: [{ alg: 'SHA-256', content: sha256 }],
    properties: [
      { name: 'ferry:kit:commit', value: kit.ferry.commit },
      { name: 'ferry:kit:node', value: `${kit.node.version} (${kit.node.source})` },
      { name: 'ferry:kit:platform', value: kit.platform },
    ],
    components: kit.files.map((f) => ({ type: 'file', name: f.path, 'bom-ref': `${KIT_REF}:file:${f.path}`, hashes: [{ alg: 'SHA-256', content: f.sha256 }], properties: [{ name: 'ferry:file:size', value: String(f.size) }] })),
  };
}

/**
 * The offline kit next to a bundle on media (`<dir>/ferry/kit.json`, volume 1 of a media set), or
 * undefined when there is none. The kit is written with the media, after the bundle and its BOM,
 * so it is added to the printed BOM rather than stored in it.
 */
export async function kitBesideBundle(dir: string): Promise<BomJsonComponent | undefined> {
  if (!existsSync(join(dir, KIT_DIR, KIT_FILE))) return undefined;
  const { manifest, sha256 } = await readKit(join(dir, KIT_DIR));
  return kitComponent(manifest, sha256);
}
