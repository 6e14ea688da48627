import type { VerifyProblem } from '../../shared/api';
import { readMediaFile } from '../io/media-file';
import { IMAGES_DIR, MANIFEST_FILE, type BundleManifest, type ImageArtifact } from '../bundle/manifest-schema';
import { parseLock, type LockSignatures } from '../recipes/lock-schema';
import { artifactBlobs, bundleBlobs } from './carry';
import { checkRecorded } from './check';

// The offline verify's signature pass: every carried signature manifest and blob must be listed in
// the manifest (so its hash was checked), and each image whose verdict was "verified" is checked
// again, with no network, against the policy recorded in the bundle's lock.json (the key or the
// Sigstore identity and trusted root), which the approval covers through the manifest.

const blobPath = (digest: string): string => `${IMAGES_DIR}/blobs/sha256/${digest.slice(7)}`;

async function lockRecords(dir: string, m: BundleManifest, signal: AbortSignal): Promise<Map<string, LockSignatures> | string> {
  if (!m.lock) return 'the bundle carries no lock.json recording the signature policy';
  try {
    const lock = parseLock(JSON.parse((await readMediaFile(dir, m.lock.path, 'lock', { signal })).toString('utf8')), m.lock.path);
    return new Map(lock.images.flatMap((i) => (i.signatures ? [[`${i.source}\0${i.digest}`, i.signatures] as const] : [])));
  } catch (err) {
    return `${m.lock.path} cannot be read (${(err as Error).message})`;
  }
}

export async function signatureProblems(dir: string, m: BundleManifest, found: VerifyProblem[], signal: AbortSignal): Promise<VerifyProblem[]> {
  const signed = m.artifacts.map((a, i) => ({ a, i })).filter((x): x is { a: ImageArtifact; i: number } => x.a.kind === 'image' && x.a.signatures !== undefined);
  if (signed.length === 0) return [];
  const out: VerifyProblem[] = [];
  const listed = new Set(m.files.map((f) => f.path));
  const bad = new Set(found.map((p) => p.path));
  const records = await lockRecords(dir, m, signal);
  const blobs = bundleBlobs(dir, signal);
  for (const { a, i } of signed) {
    const s = a.signatures!;
    const at = `${MANIFEST_FILE}#artifacts.${i}.signatures`;
    let complete = true;
    const carried = new Map<string, Buffer>();
    for (const art of s.artifacts) {
      const p = blobPath(art.digest);
      if (!listed.has(p)) {
        out.push({ kind: 'manifest', path: p, detail: `image ${a.source}: signature manifest ${art.digest} is not in the file list` });
        complete = false;
        continue;
      }
      if (bad.has(p)) continue;
      const bytes = await blobs(art.digest, 0);
      if (bytes) carried.set(art.digest, bytes);
      for (const b of bytes ? artifactBlobs(bytes, art.mediaType) : []) {
        if (!listed.has(blobPath(b.digest))) {
          out.push({ kind: 'manifest', path: blobPath(b.digest), detail: `image ${a.source}: blob ${b.digest} of signature ${art.digest} is not in the file list` });
          complete = false;
        }
      }
    }
    if (s.verdict !== 'verified' || !complete) continue;
    if (typeof records === 'string') {
      out.push({ kind: 'manifest', path: at, detail: `image ${a.source}: its signature cannot be re-checked: ${records}` });
      continue;
    }
    const rec = records.get(`${a.source}\0${a.digest}`);
    if (!rec || rec.verdict !== 'verified' || rec.kind !== s.kind || (rec.keyFingerprint ?? '') !== (s.keyFingerprint ?? '')) {
      out.push({ kind: 'manifest', path: at, detail: `image ${a.source}: the manifest's signature verdict does not match the policy recorded in ${m.lock?.path ?? 'lock.json'}` });
      continue;
    }
    // The manifests as carried in images/ (their hashes were checked above), not the lock's copies.
    const artifacts = rec.artifacts.flatMap((x) => (carried.has(x.digest) ? [{ ...x, manifest: carried.get(x.digest)!.toString('base64') }] : []));
    const v = await checkRecorded({ ...rec, artifacts }, a.digest, blobs);
    if (!v.ok) out.push({ kind: 'manifest', path: at, detail: `image ${a.source}: signature check failed (${s.policy}): ${v.reason}` });
  }
  return out;
}
