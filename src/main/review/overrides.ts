import { resolve } from 'node:path';
import { z } from 'zod';
import type { AntivirusStateView, OverrideDocumentPart, OverrideRequest, OverrideResultView, OverrideView, UnresolvedFinding } from '../../shared/api-overrides';
import { FerryError, UsageError } from '../../shared/errors';
import { canonicalJson } from '../bundle/canonical-json';
import { readManifest } from '../bundle/manifest-io';
import type { BundleManifest } from '../bundle/manifest-schema';
import { isoWithOffset } from '../core/clock';
import { exportCustody } from '../custody/custody-export';
import type { CustodyStore } from '../custody/custody-store';
import type { Db } from '../db/database';
import type { ActingIdentity } from '../identity/identity-store';
import { fingerprintOf, verifyWith } from '../identity/keys';
import type { TrustLookup } from '../identity/trust-store';
import { antivirusStates } from './antivirus-state';
import { readSignedFiles, writeStatement } from './statement';

// Overrides: a reviewer's signed, reasoned decision to accept ONE blocking scan finding (file +
// rule + detail) of ONE manifest (its sha256). Each is a file under the bundle's overrides/
// (it travels with the bundle, like approvals/) and a signed custody event. A finding without
// a covering override keeps the bundle from being approved, written to media or imported.

export const OVERRIDES_DIR = 'overrides';
export const OVERRIDE_FORMAT = 'ferry.override.v1';
/** Signature context of an override (one per kind of signed thing, as in identity/keys.ts SIG). */
export const OVERRIDE_SIG = 'ferry.review.override.v1';
/** A reason shorter than this is not a reason. */
export const MIN_OVERRIDE_REASON = 20;
export const OVERRIDE_ROLES = ['reviewer', 'admin'] as const;

const hex64 = z.string().regex(/^[a-f0-9]{64}$/);
export const OverrideSchema = z.strictObject({
  format: z.literal(OVERRIDE_FORMAT),
  bundleId: z.uuid(),
  manifestSha256: hex64,
  /** Bundle-relative path of the file the finding is about. */
  file: z.string().min(1).max(4200),
  rule: z.string().min(1).max(64),
  detail: z.string().max(2000),
  reason: z.string().min(MIN_OVERRIDE_REASON).max(4000),
  by: z.strictObject({ name: z.string().min(1).max(128), fingerprint: hex64, role: z.string().max(32) }),
  station: z.string().max(255),
  at: z.string().max(64),
});
export type Override = z.infer<typeof OverrideSchema>;

export const OverrideFileSchema = z.strictObject({ override: OverrideSchema, publicKey: z.string().max(64), signature: z.string().max(128) });
export type OverrideFile = z.infer<typeof OverrideFileSchema>;

/** A finding that blocks the bundle, as an override names it. */
export interface BlockingFinding {
  file: string;
  rule: string;
  detail: string;
  /** Which artifact's scan reported it (model name), for display. */
  artifact?: string;
}

const sameFinding = (a: { file: string; rule: string; detail: string }, b: { file: string; rule: string; detail: string }): boolean =>
  a.file === b.file && a.rule === b.rule && a.detail === b.detail;

/**
 * Every finding that blocks this manifest: each dangerous finding of each model's scan report
 * (its file made bundle-relative), each file a blocked report could not read, and a report or
 * manifest that says blocked without naming why (so that too must be decided, never ignored).
 */
export function blockingFindings(m: BundleManifest): BlockingFinding[] {
  const out: BlockingFinding[] = [];
  for (const a of m.artifacts) {
    if (a.kind !== 'model' || !a.scan) continue;
    const at = (f: string): string => `${a.dir}/${f}`;
    const before = out.length;
    for (const f of a.scan.findings) if (f.severity === 'dangerous') out.push({ file: at(f.file), rule: f.rule, detail: f.detail, artifact: a.name });
    if (a.scan.blocked) for (const e of a.scan.errors) out.push({ file: at(e.file), rule: 'scan.unreadable', detail: e.detail, artifact: a.name });
    if (a.scan.blocked && out.length === before) out.push({ file: a.dir, rule: 'scan.blocked', detail: 'the scan report says blocked without naming a finding', artifact: a.name });
  }
  if (m.scan?.blocked && out.length === 0) out.push({ file: '.', rule: 'scan.blocked', detail: 'the manifest says a scan blocked this bundle', artifact: undefined });
  return out;
}

function overridePath(o: Override, now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${OVERRIDES_DIR}/${o.by.fingerprint}-${t}.json`;
}

/** The file's own consistency: enclosed key is the signer's fingerprint and the signature verifies. */
export function overrideSignatureProblem(f: OverrideFile): string | undefined {
  if (fingerprintOf(f.publicKey) !== f.override.by.fingerprint) return "bad signature: the enclosed key is not the signer's fingerprint";
  if (!verifyWith(f.publicKey, OVERRIDE_SIG, canonicalJson(f.override), f.signature)) return 'bad signature: the signature does not verify';
  return undefined;
}

export interface CheckedOverride extends OverrideView {
  path: string;
}

export interface OverridesState {
  bundleId: string;
  manifestSha256: string;
  /** Overrides that verify and name a finding of this manifest. */
  valid: CheckedOverride[];
  /** Files under overrides/ that do not count, and why. */
  problems: { path: string; problem: string }[];
  /** Blocking findings of this manifest. */
  blocking: BlockingFinding[];
  /** Blocking findings no valid override covers. */
  unresolved: UnresolvedFinding[];
  /** Each scanned model's antivirus result. */
  antivirus: AntivirusStateView[];
}

export interface OverrideCheckOptions {
  /**
   * The offline station's pinned keys: when given, an override counts only when its signer is
   * pinned, unrevoked and pinned as a reviewer or admin. Without it (the station that
   * reviewed), any signature that verifies counts.
   */
  trust?: TrustLookup;
}

/** Reads overrides/ and matches each valid override to the manifest's blocking findings. */
export async function overridesState(bundleDir: string, opts: OverrideCheckOptions = {}): Promise<OverridesState> {
  const dir = resolve(bundleDir);
  const { manifest, sha256 } = await readManifest(dir);
  const blocking = blockingFindings(manifest);
  const valid: CheckedOverride[] = [];
  const problems: { path: string; problem: string }[] = [];
  for (const r of await readSignedFiles(dir, OVERRIDES_DIR, OverrideFileSchema, 'an override')) {
    if ('problem' in r) {
      problems.push(r);
      continue;
    }
    const o = r.file.override;
    const problem =
      overrideSignatureProblem(r.file) ??
      (o.manifestSha256 !== sha256 ? `override for another manifest (sha256 ${o.manifestSha256.slice(0, 16)}…; this manifest is ${sha256.slice(0, 16)}…)` : undefined) ??
      (o.bundleId !== manifest.bundleId ? `override for another bundle (${o.bundleId})` : undefined) ??
      trustProblem(o, opts.trust) ??
      (blocking.some((b) => sameFinding(b, o)) ? undefined : `names no blocking finding of this bundle (${o.file}, ${o.rule})`);
    if (problem) problems.push({ path: r.path, problem });
    else valid.push({ path: r.path, file: o.file, rule: o.rule, detail: o.detail, reason: o.reason, by: { name: o.by.name, fingerprint: o.by.fingerprint, role: o.by.role }, at: o.at, station: o.station, signature: r.file.signature });
  }
  const unresolved = blocking.filter((b) => !valid.some((v) => sameFinding(v, b))).map(({ file, rule, detail, artifact }) => ({ file, rule, detail, ...(artifact ? { artifact } : {}) }));
  return { bundleId: manifest.bundleId, manifestSha256: sha256, valid, problems, blocking, unresolved, antivirus: antivirusStates(manifest) };
}

function trustProblem(o: Override, trust: TrustLookup | undefined): string | undefined {
  if (!trust) return undefined;
  const k = trust(o.by.fingerprint);
  if (!k) return `signed by ${o.by.name}, whose key is not pinned on this station`;
  if (k.revokedAt) return `signed by a revoked key (${k.name}, revoked ${k.revokedAt})`;
  if (!(OVERRIDE_ROLES as readonly string[]).includes(k.role)) return `${k.name} is pinned as ${k.role}, who cannot override a finding`;
  return undefined;
}

/** C4: the blocking findings of the bundle at `dir` that no valid override covers. */
export async function unresolvedBlocks(dir: string, opts: OverrideCheckOptions = {}): Promise<UnresolvedFinding[]> {
  return (await overridesState(dir, opts)).unresolved;
}

/** The message every gate gives while findings are unresolved: each finding by file and rule, and how to decide it. */
export function unresolvedMessage(dir: string, what: string, unresolved: readonly UnresolvedFinding[]): { message: string; hint: string } {
  const list = unresolved.map((f) => `${f.file} (${f.rule}: ${f.detail.length > 120 ? `${f.detail.slice(0, 120)}…` : f.detail})`).join('; ');
  const first = unresolved[0]!;
  return {
    message: `Bundle ${dir} has ${unresolved.length} unresolved blocking scan finding(s) and cannot be ${what}: ${list}.`,
    hint:
      `A reviewer who accepts a finding records an override naming it, with a written reason: ` +
      `ferry review ${dir} --override --file '${first.file}' --rule ${first.rule} --reason "…" --as REVIEWER ` +
      `(or "Override…" beside the finding on the Review screen). Otherwise rebuild the bundle without the flagged file.`,
  };
}

/** Throws (BlockedBundle) while the bundle has unresolved blocking findings. */
export async function refuseUnresolved(dir: string, what: string, opts: OverrideCheckOptions = {}): Promise<OverridesState> {
  const state = await overridesState(dir, opts);
  if (state.unresolved.length > 0) {
    const { message, hint } = unresolvedMessage(dir, what, state.unresolved);
    throw new FerryError(message, hint, 'BlockedBundle');
  }
  return state;
}

export type { OverrideRequest };

export type OverrideResult = OverrideResultView;

/**
 * Records a reviewer's override of one blocking finding of exactly this manifest: a signed
 * file under overrides/, a signed custody event, and the bundle's custody log re-exported.
 */
export async function recordOverride(req: OverrideRequest, deps: { db: Db; custody: CustodyStore; acting: ActingIdentity }): Promise<OverrideResult> {
  const { acting, custody } = deps;
  const dir = resolve(req.dir);
  if (!(OVERRIDE_ROLES as readonly string[]).includes(acting.role)) throw new UsageError(`${acting.name} is ${acting.role}; only a reviewer or an admin can override a scan finding.`);
  const reason = req.reason.trim();
  if (reason.length < MIN_OVERRIDE_REASON) {
    throw new UsageError(`An override needs a written reason of at least ${MIN_OVERRIDE_REASON} characters (got ${reason.length}).`, 'Say why this finding is acceptable, e.g. which review of the file showed it harmless.');
  }
  if (reason.length > 4000) throw new UsageError('The reason is over 4000 characters.');
  const { manifest, sha256 } = await readManifest(dir);
  if (manifest.createdBy.creatorFingerprint === acting.fingerprint) {
    throw new FerryError(`${acting.name} created bundle ${manifest.bundleId} and cannot override its findings (two-person rule).`, 'Another reviewer must decide the finding.', 'ReviewRefused');
  }
  const candidates = blockingFindings(manifest).filter((b) => b.file === req.file && b.rule === req.rule && (req.detail === undefined || b.detail === req.detail));
  if (candidates.length === 0) {
    throw new UsageError(`Bundle ${manifest.bundleId} has no blocking finding ${req.file} (${req.rule})${req.detail !== undefined ? ' with that detail' : ''}.`, `List its findings with "ferry review ${dir}".`);
  }
  if (candidates.length > 1) throw new UsageError(`${req.file} (${req.rule}) names ${candidates.length} findings; say which with --detail.`, candidates.map((c) => `--detail '${c.detail}'`).join('\n'));
  const f = candidates[0]!;
  const override: Override = {
    format: OVERRIDE_FORMAT,
    bundleId: manifest.bundleId,
    manifestSha256: sha256,
    file: f.file,
    rule: f.rule,
    detail: f.detail,
    reason,
    by: { name: acting.name, fingerprint: acting.fingerprint, role: acting.role },
    station: custody.acting.station,
    at: isoWithOffset(),
  };
  const file: OverrideFile = { override, publicKey: acting.publicKey, signature: acting.sign(OVERRIDE_SIG, canonicalJson(override)) };
  const rel = await writeStatement(dir, file, overridePath(override));
  const signer = { fingerprint: acting.fingerprint, sign: acting.sign };
  const event = custody.append({
    as: { actor: acting.name, signer },
    type: 'override-recorded',
    role: acting.role,
    bundleId: manifest.bundleId,
    details: { manifestSha256: sha256, file: f.file, rule: f.rule, detail: f.detail, reason, overrideFile: rel, reviewerFingerprint: acting.fingerprint },
  });
  await exportCustody(dir, custody, deps.db, signer);
  const state = await overridesState(dir);
  return {
    bundleId: manifest.bundleId,
    manifestSha256: sha256,
    overrideFile: rel,
    custodySeq: event.seq,
    override: { file: f.file, rule: f.rule, detail: f.detail, reason, by: override.by, at: override.at, station: override.station, signature: file.signature },
    unresolved: state.unresolved,
  };
}

/** For the review document (`...await documentOverrides(dir)`): the overrides that count, the findings still open, the antivirus states. */
export async function documentOverrides(dir: string): Promise<Required<OverrideDocumentPart>> {
  const s = await overridesState(dir);
  return { overrides: s.valid.map(({ path: _p, ...v }) => v), unresolved: s.unresolved, antivirus: s.antivirus };
}
