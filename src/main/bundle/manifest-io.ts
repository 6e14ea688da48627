import { createHash } from 'node:crypto';
import { writeFileAtomic } from '../io/atomic-write';
import { join } from 'node:path';
import { FerryError } from '../../shared/errors';
import { canonicalJson } from './canonical-json';
import { BundleManifestSchema, MANIFEST_FILE, type BundleManifest } from './manifest-schema';
import { MediaFileError, printable, readMediaJson, type MediaReadOptions } from '../io/media-file';

export class ManifestError extends FerryError {
  constructor(message: string, hint?: string) {
    super(message, hint, 'ManifestError');
  }
}

/** Writes the manifest as canonical JSON (atomically) and returns its sha256. */
export async function writeManifest(dir: string, manifest: BundleManifest): Promise<string> {
  const bytes = Buffer.from(canonicalJson(manifest));
  const file = join(dir, MANIFEST_FILE);
  await writeFileAtomic(file, bytes);
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads and validates a manifest from media that may be hostile (through the one media reader). */
export async function readManifest(dir: string, opts: MediaReadOptions = {}): Promise<{ manifest: BundleManifest; sha256: string }> {
  let json: unknown;
  let sha256: string;
  try {
    ({ value: json, sha256 } = await readMediaJson(dir, MANIFEST_FILE, 'manifest', opts));
  } catch (err) {
    if (err instanceof MediaFileError && err.code === 'ENOENT') {
      throw new ManifestError(`${join(dir, MANIFEST_FILE)} not found`, 'Point Ferry at the bundle directory (the one holding manifest.json).');
    }
    if (err instanceof MediaFileError) throw new ManifestError(err.message, err.hint);
    throw err;
  }
  const parsed = BundleManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ManifestError(`${MANIFEST_FILE}: field ${printable(issue.path.join('.')) || '(root)'} ${printable(issue.message)}`, 'The manifest is damaged or was not written by Ferry.');
  }
  return { manifest: parsed.data, sha256 };
}
