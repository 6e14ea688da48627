import type { ArtifactChange, BundleDiff, FileChange } from '../../shared/api-review';
import { readManifest } from '../bundle/manifest-io';
import type { Db } from '../db/database';
import { diffBomComponents } from '../bom/bom-diff';
import { lastApproved, recipeOf, summarize, type ApprovedSummary, type SummaryArtifact } from './approved-store';

export const MAX_FILE_CHANGES = 500;

interface Where {
  dest?: string;
  destBefore?: string;
  sig?: string;
  sigBefore?: string;
}

const view = (a: SummaryArtifact, before?: string, { dest, destBefore, sig, sigBefore }: Where = {}): ArtifactChange => ({
  key: a.key,
  kind: a.kind,
  name: a.name,
  source: a.source,
  pinned: a.pinned,
  ...(before !== undefined ? { before } : {}),
  ...(dest !== undefined ? { destination: dest } : {}),
  ...(destBefore !== undefined && destBefore !== dest ? { destinationBefore: destBefore } : {}),
  ...(sig !== undefined ? { signature: sig } : {}),
  ...(sigBefore !== undefined && sigBefore !== sig ? { signatureBefore: sigBefore } : {}),
});

/** Added, removed and re-pinned artifacts, and files changed by path and sha256, from `from` to `to`. */
export function diffSummaries(from: ApprovedSummary, to: ApprovedSummary): Omit<BundleDiff, 'against'> {
  const before = new Map(from.artifacts.map((a) => [a.key, a]));
  const after = new Map(to.artifacts.map((a) => [a.key, a]));
  const destTo = to.destinations ?? {};
  const destFrom = from.destinations ?? {};
  const sigTo = to.signatures ?? {};
  const sigFrom = from.signatures ?? {};
  // A changed destination or signature verdict is a change even when the digest is the same: review shows both.
  const differs = (was: Record<string, string>, now: Record<string, string>, key: string): boolean => was[key] !== undefined && now[key] !== undefined && was[key] !== now[key];
  const moved = (a: SummaryArtifact): boolean => differs(destFrom, destTo, a.key) || differs(sigFrom, sigTo, a.key);
  const added = to.artifacts.filter((a) => !before.has(a.key)).map((a) => view(a, undefined, { dest: destTo[a.key], sig: sigTo[a.key] }));
  const removed = from.artifacts.filter((a) => !after.has(a.key)).map((a) => view(a, undefined, { dest: destFrom[a.key], sig: sigFrom[a.key] }));
  const changed = to.artifacts
    .filter((a) => before.has(a.key) && (before.get(a.key)!.pinned !== a.pinned || moved(a)))
    .map((a) => view(a, before.get(a.key)!.pinned, { dest: destTo[a.key], destBefore: destFrom[a.key], sig: sigTo[a.key], sigBefore: sigFrom[a.key] }));
  const oldFiles = new Map(from.files.map((f) => [f.path, f.sha256]));
  const newFiles = new Map(to.files.map((f) => [f.path, f.sha256]));
  const files: FileChange[] = [];
  for (const [path, sha] of newFiles) {
    const old = oldFiles.get(path);
    if (old === undefined) files.push({ path, change: 'added', after: sha });
    else if (old !== sha) files.push({ path, change: 'changed', before: old, after: sha });
  }
  for (const [path, sha] of oldFiles) if (!newFiles.has(path)) files.push({ path, change: 'removed', before: sha });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { added, removed, changed, filesChanged: files.slice(0, MAX_FILE_CHANGES), filesChangedTotal: files.length, ...(from.bom && to.bom ? { bom: diffBomComponents(from.bom, to.bom) } : {}) };
}

/** The bundle at `dir` against the newest approved bundle of the same recipe; undefined when there is none. */
export async function diffAgainstApproved(db: Db, dataDir: string, dir: string): Promise<{ recipe: string; diff?: BundleDiff }> {
  const { manifest, sha256 } = await readManifest(dir);
  const recipe = recipeOf(manifest);
  const last = await lastApproved(db, dataDir, recipe, manifest.bundleId);
  if (!last) return { recipe };
  return {
    recipe,
    diff: {
      against: { bundleId: last.summary.bundleId, approvedAt: last.approvedAt, manifestSha256: last.summary.manifestSha256, approvedBy: last.approvedBy },
      ...diffSummaries(last.summary, summarize(manifest, sha256)),
    },
  };
}
