import { join } from 'node:path';
import type { VerifyProblem, VerifyResult } from '../../shared/api';
import { FerryError, isAbortError } from '../../shared/errors';
import type { HashPool } from '../hash/hash-pool';
import type { JobContext } from '../jobs/job-runner';
import { ManifestError, readManifest } from './manifest-io';
import { IMAGES_DIR, MANIFEST_FILE, RESERVED_DIRS, type BundleFile, type BundleManifest } from './manifest-schema';
import { unsafePathReason } from './safe-path';
import { walk } from './walk';

export type Progress = Omit<JobContext, 'id'>;

const CONCURRENCY = 8;

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
    if (e.path === MANIFEST_FILE) continue;
    const reason = unsafePathReason(e.path);
    if (e.kind !== 'file' || reason) {
      problems.push({ kind: 'unsafe-path', path: e.path, detail: e.kind !== 'file' ? `a ${e.kind}, not a regular file` : reason! });
      continue;
    }
    const want = expected.get(e.path);
    if (!want && RESERVED_DIRS.some((d) => e.path.startsWith(`${d}/`))) continue; // approvals/, custody/: their own verifiers
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
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < toHash.length) {
      const f = toHash[next++]!;
      const id = groupOf(f.path, groups);
      try {
        const got = await pool.hashFile(join(dir, f.path), { signal: progress.signal, onBytes: (n) => progress.advance(n, id) });
        checkedBytes += got.size;
        if (got.sha256 !== f.sha256) problems.push({ kind: 'mismatch', path: f.path, detail: `sha256 ${got.sha256}, manifest says ${f.sha256}` });
      } catch (err) {
        if (isAbortError(err)) throw err;
        problems.push({ kind: 'missing', path: f.path, detail: `cannot read: ${(err as Error).message}` });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  for (const [id] of groups) progress.itemState(id, problems.some((p) => groupOf(p.path, groups) === id) ? 'failed' : 'done');
  problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ok: problems.length === 0, bundleId: manifest.bundleId, checkedFiles: toHash.length, checkedBytes, problems };
}

/** Each artifact must be fully backed by listed files with matching hashes. */
function consistencyProblems(m: BundleManifest): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  const byPath = new Map(m.files.map((f) => [f.path, f]));
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
        if (d !== a.digest && omitted.has(d)) continue;
        const p = `${IMAGES_DIR}/blobs/sha256/${d.slice(7)}`;
        if (!byPath.has(p)) problems.push({ kind: 'manifest', path: p, detail: `image ${a.source} needs this blob but the file list lacks it` });
      }
    } else {
      for (const f of a.files) {
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
      const listed = byPath.get(`${a.dir}/${f.path}`);
      if (!listed || listed.sha256 !== f.sha256 || listed.size !== f.size) problems.push({ kind: 'manifest', path: `${a.dir}/${f.path}`, detail: `${a.kind} ${a.name} file does not match the file list` });
    }
  }
  return problems;
}

interface Group {
  label: string;
  prefixes: string[];
}

function groupByArtifact(m: BundleManifest): Map<string, Group> {
  const groups = new Map<string, Group>();
  const claimed = new Set<string>();
  for (const a of m.artifacts) {
    if (a.kind === 'image') {
      const blobs = [a.digest, a.config, ...a.layers]
        .map((d) => `${IMAGES_DIR}/blobs/sha256/${d.slice(7)}`)
        .filter((p) => !claimed.has(p) && claimed.add(p));
      groups.set(`image:${a.name}`, { label: a.source, prefixes: blobs });
    } else groups.set(`model:${a.repo}`, { label: `${a.repo}@${a.revision.slice(0, 12)}`, prefixes: [`${a.dir}/`] });
  }
  groups.set('other', { label: 'bundle metadata', prefixes: [] });
  return groups;
}

function groupOf(path: string, groups: Map<string, Group>): string {
  for (const [id, g] of groups) if (g.prefixes.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p))) return id;
  return 'other';
}
