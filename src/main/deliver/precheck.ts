import type { VerifyProblem } from '../../shared/api';
import { FerryError } from '../../shared/errors';
import { MANIFEST_FILE, RESERVED_DIRS, type BundleManifest, type ImageArtifact } from '../bundle/manifest-schema';
import { unsafePathReason } from '../bundle/safe-path';
import { consistencyProblems, layerListProblems } from '../bundle/verify';
import { walk } from '../bundle/walk';
import { KIT_DIR } from '../kit/kit-schema';
import { signatureProblems } from '../signatures/verify-carried';
import { bundleBlobPath, readImageManifests, type ImageManifestRead } from './deliver-images';

/**
 * What a delivery checks before it makes anything visible, without reading the bulk of the bytes
 * (each file's content is proven as it is delivered, deliver/verifying-stream.ts): the manifest's
 * reviewed fields, every path safe and a regular file of the listed size, nothing missing or extra,
 * every artifact backed by listed files, each image manifest (read once, proven) listing exactly the
 * layers the manifest shows, carried signatures complete. `ferry verify` remains the full re-hash.
 */
export async function precheckBundle(dir: string, m: BundleManifest, signal: AbortSignal): Promise<Map<string, ImageManifestRead>> {
  const problems: VerifyProblem[] = [...consistencyProblems(m), ...(await fileProblems(dir, m))];
  const images = m.artifacts.filter((a): a is ImageArtifact => a.kind === 'image');
  let manifests = new Map<string, ImageManifestRead>();
  if (problems.length === 0) {
    manifests = await readImageManifests(dir, images, m.files, signal);
    for (const a of images) problems.push(...layerListProblems(a, manifests.get(a.digest)!.bytes, bundleBlobPath(a.digest)));
    problems.push(...(await signatureProblems(dir, m, problems, signal)));
  }
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new FerryError(
      `Bundle ${dir} failed verification (${problems.length} problem(s), first: ${first.path}: ${first.detail}); nothing was imported.`,
      `Run "ferry verify ${dir}" to list every problem.`,
      'VerificationFailed',
    );
  }
  return manifests;
}

/** Every entry on disk: a safe path, a regular file, listed (or in a folder with its own checks), of the listed size. */
async function fileProblems(dir: string, m: BundleManifest): Promise<VerifyProblem[]> {
  const listed = new Map(m.files.map((f) => [f.path, f]));
  const present = await walk(dir).catch((err: unknown) => {
    throw new FerryError(`Cannot read bundle directory ${dir}: ${(err as Error).message}`);
  });
  const out: VerifyProblem[] = [];
  const own = [...RESERVED_DIRS, KIT_DIR].map((d) => `${d}/`);
  for (const e of present) {
    if (e.path === MANIFEST_FILE) continue;
    const reason = e.kind !== 'file' ? `a ${e.kind}, not a regular file` : unsafePathReason(e.path);
    const want = listed.get(e.path);
    if (reason) out.push({ kind: 'unsafe-path', path: e.path, detail: reason });
    else if (!want && !own.some((d) => e.path.startsWith(d))) out.push({ kind: 'extra', path: e.path, detail: 'not listed in the manifest' });
    else if (want && want.size !== e.size) out.push({ kind: 'size', path: e.path, detail: `size ${e.size}, manifest says ${want.size}` });
  }
  const seen = new Set(present.map((e) => e.path));
  for (const f of m.files) if (!seen.has(f.path)) out.push({ kind: 'missing', path: f.path, detail: `listed in the manifest (${f.size} bytes) but not present` });
  return out;
}
