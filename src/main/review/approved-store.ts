import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { destinationsByKey } from '../bundle/destinations';
import type { BundleManifest, ImageArtifact } from '../bundle/manifest-schema';
import type { Db } from '../db/database';
import { bomComponentSummary } from '../bom/bom-diff';
import { writeFileAtomic } from '../io/atomic-write';

// What this station approved, by recipe: the custody log's `approved` events are the record
// of truth (bundle id, manifest digest, who, when); the artifact and file summary of each
// approved manifest is kept under <dataDir>/approved/<manifest sha256>.json so the next
// bundle of the same recipe can be compared with it. A summary without its custody event
// never counts.

export const ADHOC_RECIPE = 'adhoc';
export const APPROVED_DIR = 'approved';

const hex64 = z.string().regex(/^[a-f0-9]{64}$/);
export const SummarySchema = z.strictObject({
  bundleId: z.string().max(64),
  manifestSha256: hex64,
  recipe: z.string().max(64),
  artifacts: z.array(z.strictObject({ key: z.string(), kind: z.string(), name: z.string(), source: z.string(), pinned: z.string() })),
  files: z.array(z.strictObject({ path: z.string(), sha256: hex64 })),
  /** Where each artifact goes on the offline side, by key (bundle/destinations.ts); absent in older summaries. */
  destinations: z.record(z.string(), z.string()).optional(),
  /** Each image's signature verdict as review shows it (signatureText), by key; absent in older summaries. */
  signatures: z.record(z.string(), z.string()).optional(),
  /** The BOM's components by bom-ref (src/main/bom/bom-diff.ts); absent for bundles without a BOM and in older summaries. */
  bom: z.array(z.strictObject({ ref: z.string(), type: z.string(), name: z.string(), version: z.string().optional(), sha256: z.string().optional() })).optional(),
});
export type ApprovedSummary = z.infer<typeof SummarySchema>;
export type SummaryArtifact = ApprovedSummary['artifacts'][number];

export interface ApprovedRecord {
  summary: ApprovedSummary;
  approvedAt: string;
  approvedBy: string;
  seq: number;
}

export function recipeOf(m: BundleManifest): string {
  return m.lock?.recipe || ADHOC_RECIPE;
}

/** An image's signature verdict in one line: what was required and who signed, or that nothing was checked. */
export function signatureText(a: ImageArtifact): string {
  const s = a.signatures;
  if (!s) return 'no signature policy';
  if (s.verdict === 'not-required') return `not required (${s.policy})`;
  const who = s.keyFingerprint ? `key ${s.keyFingerprint.slice(0, 16)}…` : (s.identity ?? s.signer ?? '');
  return `verified ${s.kind ?? ''} ${who} (${s.policy})`.replace(/\s+/g, ' ');
}

function signaturesByKey(m: BundleManifest): Record<string, string> {
  return Object.fromEntries(m.artifacts.filter((a): a is ImageArtifact => a.kind === 'image').map((a) => [`image:${a.name}`, signatureText(a)]));
}

/** A digest over a file set, for artifacts pinned by their files rather than one digest. */
function filesDigest(files: { path: string; sha256: string }[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) h.update(`${f.path}\0${f.sha256}\n`);
  return `files:${h.digest('hex')}`;
}

/** Every artifact of a manifest (images, models, Ollama models, local files) with what pins it. */
export function summarize(m: BundleManifest, manifestSha256: string): ApprovedSummary {
  const artifacts: SummaryArtifact[] = [];
  for (const a of m.artifacts) {
    if (a.kind === 'image') artifacts.push({ key: `image:${a.name}`, kind: 'image', name: a.name, source: a.source, pinned: a.digest });
    else artifacts.push({ key: `model:${a.repo}`, kind: 'model', name: a.repo, source: a.source, pinned: a.revision });
  }
  for (const a of m.extraArtifacts ?? []) {
    if (a.kind === 'ollama') artifacts.push({ key: `ollama:${a.name}`, kind: 'ollama', name: a.name, source: a.source, pinned: a.digest });
    else artifacts.push({ key: `files:${a.name}`, kind: 'files', name: a.name, source: a.source, pinned: filesDigest(a.files) });
  }
  return {
    destinations: destinationsByKey(m),
    signatures: signaturesByKey(m),
    bundleId: m.bundleId,
    manifestSha256,
    recipe: recipeOf(m),
    artifacts,
    files: m.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
    ...(m.bom ? { bom: bomComponentSummary(m) } : {}),
  };
}

const summaryFile = (dataDir: string, sha: string): string => join(dataDir, APPROVED_DIR, `${sha}.json`);

/** Keeps the approved manifest's summary (called right after its `approved` custody event). */
export async function recordApproved(dataDir: string, m: BundleManifest, manifestSha256: string): Promise<void> {
  await mkdir(join(dataDir, APPROVED_DIR), { recursive: true });
  const target = summaryFile(dataDir, manifestSha256);
  await writeFileAtomic(target, `${JSON.stringify(summarize(m, manifestSha256))}\n`);
}

async function readSummary(dataDir: string, sha: string): Promise<ApprovedSummary | undefined> {
  const text = await readFile(summaryFile(dataDir, sha), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = SummarySchema.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.manifestSha256 === sha ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The newest bundle of `recipe` this station approved, other than `exceptBundleId`: walks
 * the local `approved` events newest first and takes the first whose summary is kept and
 * names the same recipe.
 */
export async function lastApproved(db: Db, dataDir: string, recipe: string, exceptBundleId?: string): Promise<ApprovedRecord | undefined> {
  const rows = db
    .prepare("SELECT seq, bundle_id, actor, at, details FROM custody_events WHERE type = 'approved' AND bundle_id IS NOT NULL ORDER BY seq DESC")
    .iterate() as Iterable<{ seq: number; bundle_id: string; actor: string; at: string; details: string }>;
  const seen = new Set<string>();
  for (const r of rows) {
    if (r.bundle_id === exceptBundleId) continue;
    const sha = (JSON.parse(r.details) as { manifestSha256?: unknown }).manifestSha256;
    if (typeof sha !== 'string' || !/^[a-f0-9]{64}$/.test(sha) || seen.has(sha)) continue;
    seen.add(sha);
    const summary = await readSummary(dataDir, sha);
    if (summary && summary.recipe === recipe && summary.bundleId === r.bundle_id) return { summary, approvedAt: r.at, approvedBy: r.actor, seq: r.seq };
  }
  return undefined;
}
