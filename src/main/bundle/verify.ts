import { join } from 'node:path';
import type { VerifyProblem, VerifyResult } from '../../shared/api';
import { FerryError, isAbortError } from '../../shared/errors';
import type { HashPool } from '../hash/hash-pool';
import type { Progress } from '../jobs/progress';
import { readMediaFile } from '../io/media-file';
import { parseImageManifest } from '../registry/manifest-schema';
import { identityProblems } from './destinations';
import { ManifestError, readManifest } from './manifest-io';
import { IMAGES_DIR, MANIFEST_FILE, RESERVED_DIRS, type BundleFile, type BundleManifest, type ImageArtifact } from './manifest-schema';
import { unsafePathReason } from './safe-path';
import { walk } from './walk';
import { signatureProblems } from '../signatures/verify-carried';
import { KIT_DIR } from '../kit/kit-schema';
import { bundleKitProblems } from '../media/kit-check';

const CONCURRENCY = 64; // outstanding per verify: the pool sends small files ahead to its workers

/**
 * Re-hashes every file of a bundle against its manifest and names every missing, extra,
 * resized or altered file. Never throws for a bad bundle: problems are the result.
 */
export async function verifyBundle(dir: string, pool: HashPool, progress: Progress): Promise<VerifyResult> {
  progress.phase('reading manifest');
  let manifest: BundleManifest;
  try {
    ({ manifest } = await readManifest(dir));
  } catch (err) {
    if (err instanceof ManifestError) {
      return { ok: false, bundleId: null, checkedFiles: 0, checkedBytes: 0, problems: [{ kind: 'manifest', path: MANIFEST_FILE, detail: err.message }] };
    }
    throw err;
  }
  const problems: VerifyProblem[] = [...consistencyProblems(manifest)];
  const expected = new Map(manifest.files.map((f) => [f.path, f]));
  const present = await walk(dir).catch((err: unknown) => {
    throw new FerryError(`Cannot read bundle directory ${dir}: ${(err as Error).message}`);
  });
  const toHash: BundleFile[] = [];
  for (const e of present) {
    verifyWork.steps++;
    if (e.path === MANIFEST_FILE) continue;
    const reason = unsafePathReason(e.path);
    if (e.kind !== 'file' || reason) {
      problems.push({ kind: 'unsafe-path', path: e.path, detail: e.kind !== 'file' ? `a ${e.kind}, not a regular file` : reason! });
      continue;
    }
    const want = expected.get(e.path);
    if (!want && RESERVED_DIRS.some((d) => e.path.startsWith(`${d}/`))) continue; // approvals/, custody/: their own verifiers
    if (!want && e.path.startsWith(`${KIT_DIR}/`)) continue; // the offline kit: checked against its kit.json below
    if (!want) problems.push({ kind: 'extra', path: e.path, detail: 'not listed in the manifest' });
    else if (want.size !== e.size) problems.push({ kind: 'size', path: e.path, detail: `size ${e.size}, manifest says ${want.size}` });
    else toHash.push(want);
  }
  const seen = new Set(present.map((e) => e.path));
  for (const f of manifest.files) if (!seen.has(f.path)) problems.push({ kind: 'missing', path: f.path, detail: `listed in the manifest (${f.size} bytes) but not present` });

  progress.phase('hashing');
  const groups = groupByArtifact(manifest);
  for (const [id, g] of groups) progress.item(id, g.label, 0);
  const totals = new Map<string, number>();
  for (const f of toHash) {
    const id = groupOf(f.path, groups);
    totals.set(id, (totals.get(id) ?? 0) + f.size);
  }
  for (const [id, g] of groups) progress.item(id, g.label, totals.get(id) ?? 0);
  let checkedBytes = 0;
  // Largest first: one file's SHA-256 is sequential, so the largest bounds the time; the rest fill the other cores.
  toHash.sort((a, b) => b.size - a.size);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < toHash.length) {
      const f = toHash[next++]!;
      const id = groupOf(f.path, groups);
      try {
        const got = await pool.hashFile(join(dir, f.path), { size: f.size, signal: progress.signal, onBytes: (n) => progress.advance(n, id) });
        checkedBytes += got.size;
        if (got.sha256 !== f.sha256) problems.push({ kind: 'mismatch', path: f.path, detail: `sha256 ${got.sha256}, manifest says ${f.sha256}` });
      } catch (err) {
        if (isAbortError(err)) throw err;
        problems.push({ kind: 'missing', path: f.path, detail: `cannot read: ${(err as Error).message}` });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  problems.push(...(await imageManifestProblems(dir, manifest, problems, progress.signal)));
  problems.push(...(await signatureProblems(dir, manifest, problems, progress.signal)));
  for (const p of await bundleKitProblems(dir)) problems.push({ kind: 'mismatch', path: p.path, detail: `offline kit: ${p.detail}` });
  const failed = new Set(problems.map((p) => groupOf(p.path, groups)));
  for (const [id] of groups) progress.itemState(id, failed.has(id) ? 'failed' : 'done');
  problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ok: problems.length === 0, bundleId: manifest.bundleId, checkedFiles: toHash.length, checkedBytes, problems };
}

/** Comparisons made by the last consistency pass: a deterministic measure of verify's work (test/hostile/verify-scale). */
export const verifyWork = { steps: 0 };

const MAX_IMAGE_MANIFEST = 4 << 20;

/**
 * Each image manifest blob, read from images/ (once its hash was proven), must list exactly the
 * config and layers the bundle manifest shows the reviewer: a layer the reviewer never saw is refused.
 */
async function imageManifestProblems(dir: string, m: BundleManifest, found: VerifyProblem[], signal: AbortSignal): Promise<VerifyProblem[]> {
  const bad = new Set(found.map((p) => p.path));
  const out: VerifyProblem[] = [];
  const seen = new Set<string>();
  for (const a of m.artifacts) {
    if (a.kind !== 'image' || seen.has(a.digest)) continue;
    seen.add(a.digest);
    if (signal.aborted) break;
    const path = `${IMAGES_DIR}/blobs/sha256/${a.digest.slice(7)}`;
    if (bad.has(path)) continue;
    let bytes: Buffer;
    try {
      bytes = await readMediaFile(dir, path, 'oci-json', { signal, maxBytes: MAX_IMAGE_MANIFEST });
    } catch (err) {
      out.push({ kind: 'manifest', path, detail: `image ${a.name}: cannot read its image manifest (${(err as Error).message})` });
      continue;
    }
    out.push(...layerListProblems(a, bytes, path));
  }
  return out;
}

/** The image manifest's config and layers against the artifact's `config` and `layers`, in order. */
export function layerListProblems(a: ImageArtifact, bytes: Buffer, path: string): VerifyProblem[] {
  let parsed;
  try {
    parsed = parseImageManifest(bytes, path);
  } catch {
    return [{ kind: 'manifest', path, detail: `image ${a.name}: the blob is not an image manifest` }];
  }
  const out: VerifyProblem[] = [];
  if (parsed.config.digest !== a.config) out.push({ kind: 'manifest', path, detail: `image ${a.name}: its manifest names config ${parsed.config.digest}, the bundle manifest (field config) shows ${a.config}` });
  const listed = new Set(a.layers);
  const inManifest = new Set<string>();
  for (const l of parsed.layers) {
    inManifest.add(l.digest);
    if (!listed.has(l.digest)) out.push({ kind: 'manifest', path, detail: `image ${a.name}: layer ${l.digest} is in its image manifest but not in the bundle manifest (field layers); the reviewer never saw it` });
  }
  for (const d of a.layers) if (!inManifest.has(d)) out.push({ kind: 'manifest', path, detail: `image ${a.name}: layer ${d} is in the bundle manifest (field layers) but not in its image manifest` });
  if (out.length === 0 && parsed.layers.some((l, i) => l.digest !== a.layers[i])) out.push({ kind: 'manifest', path, detail: `image ${a.name}: its layers are in another order than the bundle manifest (field layers) shows` });
  return out;
}

/** Each artifact must be fully backed by listed files with matching hashes. */
/** The manifest agrees with itself: reviewed fields derivable, blob names their sha256, every artifact backed by the file list (import's precheck uses it too). */
export function consistencyProblems(m: BundleManifest): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  // Reviewed identity and delivery fields must agree, and every destination must be derivable.
  const all = [...m.artifacts, ...(m.extraArtifacts ?? [])];
  all.forEach((a, i) => {
    const at = i < m.artifacts.length ? `artifacts.${i}` : `extraArtifacts.${i - m.artifacts.length}`;
    for (const p of identityProblems(a)) problems.push({ kind: 'manifest', path: `${MANIFEST_FILE}#${at}.${p.field}`, detail: `${p.artifact}: field ${p.field}: ${p.detail}` });
  });
  const byPath = new Map(m.files.map((f) => [f.path, f]));
  verifyWork.steps += m.files.length;
  for (const f of m.files) {
    const blob = /^images\/blobs\/sha256\/([a-f0-9]{64})$/.exec(f.path);
    if (blob && blob[1] !== f.sha256) problems.push({ kind: 'manifest', path: f.path, detail: 'blob file name and recorded sha256 differ' });
  }
  // A delta bundle leaves out what the offline side holds (checked at import); all else must be present.
  const omitted = new Set(m.delta?.omitted.map((o) => o.digest));
  const omittedModel = new Set(m.delta?.omittedModelFiles.map((f) => `${f.repo}\0${f.path}`));
  for (const a of m.artifacts) {
    if (a.kind === 'image') {
      for (const d of [a.digest, a.config, ...a.layers]) {
        verifyWork.steps++;
        if (d !== a.digest && omitted.has(d)) continue;
        const p = `${IMAGES_DIR}/blobs/sha256/${d.slice(7)}`;
        if (!byPath.has(p)) problems.push({ kind: 'manifest', path: p, detail: `image ${a.source} needs this blob but the file list lacks it` });
      }
    } else {
      for (const f of a.files) {
        verifyWork.steps++;
        if (omittedModel.has(`${a.repo}\0${f.path}`)) continue;
        const p = `${a.dir}/${f.path}`;
        const listed = byPath.get(p);
        if (!listed || listed.sha256 !== f.sha256 || listed.size !== f.size) {
          problems.push({ kind: 'manifest', path: p, detail: `model ${a.repo} file does not match the file list` });
        }
      }
    }
  }
  for (const a of m.extraArtifacts ?? []) {
    for (const f of a.files) {
      verifyWork.steps++;
      const listed = byPath.get(`${a.dir}/${f.path}`);
      if (!listed || listed.sha256 !== f.sha256 || listed.size !== f.size) problems.push({ kind: 'manifest', path: `${a.dir}/${f.path}`, detail: `${a.kind} ${a.name} file does not match the file list` });
    }
  }
  return problems;
}

interface Group {
  label: string;
}

interface Groups extends Map<string, Group> {
  /** Bundle path → group id: built once, so grouping is linear in files and layers. */
  byPath?: Map<string, string>;
}

function groupByArtifact(m: BundleManifest): Groups {
  const groups: Groups = new Map<string, Group>();
  const byPath = new Map<string, string>();
  const claim = (path: string, id: string): void => {
    verifyWork.steps++;
    if (!byPath.has(path)) byPath.set(path, id);
  };
  for (const a of m.artifacts) {
    if (a.kind === 'image') {
      const id = `image:${a.name}`;
      groups.set(id, { label: a.source });
      for (const d of [a.digest, a.config, ...a.layers]) claim(`${IMAGES_DIR}/blobs/sha256/${d.slice(7)}`, id);
    } else {
      const id = `model:${a.repo}`;
      groups.set(id, { label: `${a.repo}@${a.revision.slice(0, 12)}` });
      for (const f of a.files) claim(`${a.dir}/${f.path}`, id);
    }
  }
  for (const a of m.extraArtifacts ?? []) {
    const id = `${a.kind}:${a.name}`;
    if (!groups.has(id)) groups.set(id, { label: a.kind === 'ollama' ? a.source : `files ${a.name}` });
    for (const f of a.files) claim(`${a.dir}/${f.path}`, id);
  }
  groups.set('other', { label: 'bundle metadata' });
  groups.byPath = byPath;
  return groups;
}

function groupOf(path: string, groups: Groups): string {
  verifyWork.steps++;
  return groups.byPath?.get(path) ?? 'other';
}
