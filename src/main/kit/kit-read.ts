import { FerryError } from '../../shared/errors';
import { readMediaJson } from '../io/media-file';
import { KIT_FILE, KIT_LAUNCHER, KitManifestSchema, type KitManifest, type KitSummary } from './kit-schema';
import { KIT_ENTRY, KIT_NODE, kitSummary } from './kit-layout';

const HINT = 'Copy the kit again from the approved media, or rebuild it with `ferry kit build`.';

/**
 * Reads `<dir>/kit.json` through the media reader (regular file, bounded, strict JSON) and validates it.
 * Errors name the file and the field. The kit's digest is the sha256 of kit.json's bytes.
 */
export async function readKit(dir: string): Promise<{ manifest: KitManifest; sha256: string; summary: KitSummary }> {
  const { value, sha256 } = await readMediaJson(dir, KIT_FILE, 'kit', { label: `${dir}/${KIT_FILE}` });
  const parsed = KitManifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FerryError(`${dir}/${KIT_FILE}: field ${issue.path.join('.') || '(root)'}: ${issue.message}`, HINT);
  }
  const manifest = parsed.data;
  const seen = new Set<string>();
  for (const f of manifest.files) {
    if (f.path === KIT_FILE) throw new FerryError(`${dir}/${KIT_FILE}: lists itself`, HINT);
    if (seen.has(f.path)) throw new FerryError(`${dir}/${KIT_FILE}: lists ${f.path} twice`, HINT);
    seen.add(f.path);
  }
  for (const needed of [manifest.entry, KIT_ENTRY, KIT_NODE, KIT_LAUNCHER]) {
    if (!seen.has(needed)) throw new FerryError(`${dir}/${KIT_FILE}: does not list ${needed}`, HINT);
  }
  if (manifest.entry !== KIT_ENTRY) throw new FerryError(`${dir}/${KIT_FILE}: field entry: must be ${KIT_ENTRY}`, HINT);
  return { manifest, sha256, summary: kitSummary(manifest, sha256) };
}
