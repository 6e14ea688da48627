import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IMAGES_DIR, type BundleFile } from './manifest-schema';

/** The manifest entry of an OCI blob: its name is its sha256, so nothing is re-read. */
export function blobFile(digest: string, size: number): BundleFile {
  const hex = digest.slice('sha256:'.length);
  return { path: `${IMAGES_DIR}/blobs/sha256/${hex}`, size, sha256: hex };
}

/** Small metadata files (oci-layout, index.json) are hashed from disk once they are final. */
export async function smallFile(bundleDir: string, rel: string): Promise<BundleFile> {
  const bytes = await readFile(join(bundleDir, rel));
  return { path: rel, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export function sortFiles(files: BundleFile[]): BundleFile[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
