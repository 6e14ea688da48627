import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic-write';
import { join } from 'node:path';
import { FerryError } from '../../shared/errors';
import { canonicalJson } from './canonical-json';
import { BundleManifestSchema, MANIFEST_FILE, MAX_MANIFEST_BYTES, type BundleManifest } from './manifest-schema';

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

/** Reads and validates a manifest from media that may be hostile. */
export async function readManifest(dir: string): Promise<{ manifest: BundleManifest; sha256: string }> {
  const file = join(dir, MANIFEST_FILE);
  let bytes: Buffer;
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      if (size > MAX_MANIFEST_BYTES) throw new ManifestError(`${file} is ${size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
      bytes = await readFile(fh);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new ManifestError(`${file} not found`, 'Point Ferry at the bundle directory (the one holding manifest.json).');
    }
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ManifestError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = BundleManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ManifestError(`${file}: field ${issue.path.join('.') || '(root)'} ${issue.message}`, 'The manifest is damaged or was not written by Ferry.');
  }
  return { manifest: parsed.data, sha256: createHash('sha256').update(bytes).digest('hex') };
}
