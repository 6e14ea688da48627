import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readMediaFile } from '../../io/media-file';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FerryError, UsageError } from '../../../shared/errors';
import { readManifest } from '../../bundle/manifest-io';
import { MANIFEST_FILE, type BundleManifest } from '../../bundle/manifest-schema';
import { labelFileName } from '../../media/label';
import { loadVolumeSet } from '../../media/volume-set';
import { readBundleRecipe, RECIPE_FILE } from '../../recipes/bundle-recipe';
import { LOCK_FILE, type Lock } from '../../recipes/lock-schema';
import type { Recipe } from '../../recipes/recipe-schema';

const SMALL = 16 << 20;

export interface InstallSource {
  dir?: string;
  volumes?: string[];
}

export interface BundleRecipeInfo {
  manifest: BundleManifest;
  recipe: Recipe;
  lock: Lock;
  sha256: string;
}

/** The request's source, checked: a bundle folder or at least one volume, not both. */
export function normalizeSource(src: InstallSource): { dir?: string; volumes?: string[] } {
  const volumes = (src.volumes ?? []).filter((v) => v.trim() !== '').map((v) => resolve(v));
  if (src.dir && volumes.length > 0) throw new UsageError('Give a bundle folder or volumes, not both.');
  if (src.dir) return { dir: resolve(src.dir) };
  if (volumes.length > 0) return { volumes };
  throw new UsageError('No bundle given.', 'Give the bundle folder, or the mount paths of its volumes (any order).');
}

/**
 * Reads a bundle's manifest, recipe and lock before anything is verified in full: from a folder
 * directly, or from volumes (the small files read whole from the volume that holds them and
 * checked against the manifest's sha256). The install's verify step checks everything again.
 */
export async function readBundleRecipeInfo(src: InstallSource): Promise<BundleRecipeInfo> {
  const s = normalizeSource(src);
  if (s.dir) {
    const { manifest } = await readManifest(s.dir);
    return { manifest, ...(await readBundleRecipe(s.dir)) };
  }
  const set = await loadVolumeSet(s.volumes!);
  // A volume whose label or manifest copy cannot be read (or a set that does not cover the manifest) is named now,
  // not later as a confusing mismatch of the recipe or lock that volume holds.
  if (!set.manifest || !set.manifestDir || set.problems.length > 0) {
    const first = set.problems[0];
    throw new FerryError(
      `${set.manifest ? 'The volumes given do not form a readable bundle' : 'No readable bundle manifest on the volumes given'}${first ? ` (${first.volume}: ${first.path ? `${first.path}: ` : ''}${first.detail})` : ''}.`,
      'Give the mount paths of the bundle\'s volumes; "ferry media verify" lists each problem.',
    );
  }
  const manifest = set.manifest;
  const scratch = await mkdtemp(join(tmpdir(), 'ferry-inspect-'));
  try {
    await writeFile(join(scratch, MANIFEST_FILE), await readMediaFile(set.manifestDir, MANIFEST_FILE, 'volume-manifest'));
    for (const name of [LOCK_FILE, RECIPE_FILE]) {
      const listed = manifest.files.find((f) => f.path === name);
      if (!listed) continue; // readBundleRecipe names what is missing
      if (listed.size > SMALL) throw new FerryError(`${name} in bundle ${manifest.bundleId} is ${listed.size} bytes; refusing to read it.`);
      const pieces = (set.pieces.get(name) ?? []).sort((a, b) => a.offset - b.offset);
      const bytes = Buffer.concat(await Promise.all(pieces.map((p) => readMediaFile(p.volume.dir, labelFileName(p.entry), name === LOCK_FILE ? 'lock' : 'recipe', { label: `volume ${p.volume.name}: ${labelFileName(p.entry)}` }))));
      const sha = createHash('sha256').update(bytes).digest('hex');
      if (bytes.length !== listed.size || sha !== listed.sha256) {
        throw new FerryError(`${name} on the volumes does not match the bundle manifest (sha256 ${sha}, manifest says ${listed.sha256}).`, 'The volume is damaged or altered; run "ferry media verify" on all volumes.');
      }
      await writeFile(join(scratch, name), bytes);
    }
    return { manifest, ...(await readBundleRecipe(scratch)) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
