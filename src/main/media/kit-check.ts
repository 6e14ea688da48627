import { chmod, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KitCoverageView, KitView } from '../../shared/api-review';
import { FerryError } from '../../shared/errors';
import { readManifest } from '../bundle/manifest-io';
import type { BundleManifest } from '../bundle/manifest-schema';
import type { TrustLookup } from '../identity/trust-store';
import { mediaReadStream } from '../io/media-file';
import { writeVerified } from '../io/verified-write';
import { KIT_DIR, KIT_FILE, type KitManifest } from '../kit/kit-schema';
import { readKit } from '../kit/kit-read';
import { verifyKit } from '../kit/kit-verify';
import { readStatements, statementSignatureProblem } from '../review/statement';
import type { KitEntry, LabelKit } from './label';
import type { LoadedVolume, VolumeProblem } from './volume-set';

/** `ferry/<path>`: where a kit file lies in a volume or a bundle folder. */
export const kitPath = (rel: string): string => `${KIT_DIR}/${rel}`;

/** True when the folder (a volume, an assembled bundle) carries ferry/kit.json. */
export async function hasKit(dir: string): Promise<boolean> {
  return Boolean(await lstat(join(dir, KIT_DIR, KIT_FILE)).catch(() => null));
}

/** Differences between kit.json's file list and a label's kitFiles (kit.json itself is the label's first entry). */
export function kitListProblems(manifest: KitManifest, kitSha256: string, entries: readonly KitEntry[]): { path: string; detail: string }[] {
  const out: { path: string; detail: string }[] = [];
  const listed = new Map(entries.map((e) => [e.path, e]));
  const self = listed.get(kitPath(KIT_FILE));
  if (!self || self.sha256 !== kitSha256) out.push({ path: kitPath(KIT_FILE), detail: `the label's entry for ${KIT_FILE} does not carry the kit's digest ${kitSha256}` });
  for (const f of manifest.files) {
    const e = listed.get(kitPath(f.path));
    if (!e) out.push({ path: kitPath(f.path), detail: `in ${KIT_FILE} but not in the volume label` });
    else if (e.size !== f.size || e.sha256 !== f.sha256) out.push({ path: kitPath(f.path), detail: `label says ${e.size} bytes sha256 ${e.sha256}, ${KIT_FILE} ${f.size} bytes sha256 ${f.sha256}` });
  }
  const inKit = new Set([kitPath(KIT_FILE), ...manifest.files.map((f) => kitPath(f.path))]);
  for (const e of entries) if (!inKit.has(e.path)) out.push({ path: e.path, detail: `in the volume label but not in ${KIT_FILE}` });
  return out;
}

/**
 * The kit a volume's label names: kit.json's digest against the label, kit.json's list against the
 * label's, and every kit file against kit.json (the kit's own verifier, full). Each problem names the file.
 */
export async function volumeKitProblems(v: LoadedVolume): Promise<VolumeProblem[]> {
  const { kit, kitFiles } = v.label;
  if (!kit || !kitFiles) return [];
  const out: VolumeProblem[] = [];
  const push = (kind: VolumeProblem['kind'], path: string, detail: string): number => out.push({ kind, volume: v.name, path, detail });
  const dir = join(v.dir, KIT_DIR);
  let read: Awaited<ReturnType<typeof readKit>>;
  try {
    read = await readKit(dir);
  } catch (err) {
    push('kit', kitPath(KIT_FILE), (err as Error).message);
    return out;
  }
  if (read.sha256 !== kit.sha256) {
    push('mismatch', kitPath(KIT_FILE), `sha256 ${read.sha256}, label says ${kit.sha256} (the kit is not the one written)`);
    return out;
  }
  for (const p of kitListProblems(read.manifest, kit.sha256, kitFiles)) push('kit', p.path, p.detail);
  const r = await verifyKit(dir, { full: true }).catch((err: Error) => ({ ok: false, problems: [{ path: KIT_FILE, problem: err.message }] }));
  for (const p of r.problems) push('kit', kitPath(p.path), p.problem);
  return out;
}

/** For `ferry verify DIR` on a bundle folder that carries a kit: every kit file against kit.json. */
export async function bundleKitProblems(dir: string): Promise<{ path: string; detail: string }[]> {
  if (!(await hasKit(dir))) return [];
  const r = await verifyKit(join(dir, KIT_DIR), { full: true }).catch((err: Error) => ({ ok: false, problems: [{ path: KIT_FILE, problem: err.message }] }));
  return r.problems.map((p) => ({ path: kitPath(p.path), detail: p.problem }));
}

/** The kit as the review document shows it, or why ferry/ is not a sound kit; nothing without ferry/kit.json. */
export async function kitDocument(dir: string): Promise<{ kit?: KitView; kitProblem?: string }> {
  if (!(await hasKit(dir))) return {};
  try {
    const { summary: s } = await readKit(join(dir, KIT_DIR));
    return { kit: { dir: KIT_DIR, version: s.version, commit: s.commit, platform: s.platform, nodeVersion: s.nodeVersion, sha256: s.sha256, files: s.files, bytes: s.bytes } };
  } catch (err) {
    return { kitProblem: (err as Error).message };
  }
}

/**
 * Checks the kit in the reviewed folder before an approval records its digest: every file against
 * kit.json. Returns the digest (undefined when the folder has no kit); a kit that fails is refused.
 */
export async function kitDigestToApprove(dir: string): Promise<string | undefined> {
  if (!(await hasKit(dir))) return undefined;
  const kitDir = join(dir, KIT_DIR);
  const { sha256 } = await readKit(kitDir);
  const r = await verifyKit(kitDir, { full: true });
  if (!r.ok) {
    const list = r.problems.slice(0, 5).map((p) => `${kitPath(p.path)}: ${p.problem}`).join('; ');
    throw new FerryError(`The offline kit in ${kitDir} does not match its ${KIT_FILE} (${list}${r.problems.length > 5 ? `; and ${r.problems.length - 5} more` : ''}); an approval would record a kit that is not what it says.`, 'Put a sound kit there ("ferry kit build --out DIR/ferry"), or remove ferry/ and approve the content alone.', 'ReviewRefused');
  }
  return sha256;
}

/**
 * Which approvals of this manifest record the kit's digest: statements whose signature verifies,
 * over this manifest, deciding approve, naming `kit.sha256`, by a key pinned and not revoked
 * (when `trust` is given). An uncovered kit is a warning: the gate protects the bundle content.
 */
export async function kitCoverage(dir: string, kit: Pick<LabelKit, 'sha256' | 'version' | 'platform'>, trust?: TrustLookup): Promise<KitCoverageView> {
  const coveredBy: KitCoverageView['coveredBy'] = [];
  const { manifest, sha256 } = await readManifest(dir);
  for (const r of await readStatements(dir)) {
    if ('problem' in r) continue;
    const s = r.file.statement;
    if (s.decision !== 'approve' || s.kitSha256 !== kit.sha256 || s.manifestSha256 !== sha256 || s.bundleId !== manifest.bundleId) continue;
    if (statementSignatureProblem(r.file)) continue;
    if (trust) {
      const k = trust(s.reviewer.fingerprint);
      if (!k || k.revokedAt) continue;
    }
    if (!coveredBy.some((c) => c.fingerprint === s.reviewer.fingerprint)) coveredBy.push({ name: trust?.(s.reviewer.fingerprint)?.name ?? s.reviewer.name, fingerprint: s.reviewer.fingerprint });
  }
  return { sha256: kit.sha256, version: kit.version, platform: kit.platform, coveredBy };
}

/** The line offline verify prints about the kit. */
export function kitCoverageLine(k: KitCoverageView): string {
  return k.coveredBy.length > 0
    ? `Kit: kit ${k.sha256} covered by approval of ${k.coveredBy.map((c) => c.name).join(', ')} (ferry ${k.version}, ${k.platform})`
    : `Kit: WARNING: kit not covered by an approval (kit ${k.sha256}, ferry ${k.version}, ${k.platform}); the approval gate covers the bundle content, not this tool`;
}

/**
 * Copies the kit of the volume whose label names one into `outDir/ferry/`: each file streamed
 * through the media reader and checked against the label while written; then kit.json's list
 * against the label, so the assembled folder holds the kit the label (and its digest) describe.
 */
export async function copyKit(volumes: readonly LoadedVolume[], manifest: BundleManifest, outDir: string, signal?: AbortSignal): Promise<LabelKit | undefined> {
  const v = volumes.find((x) => !x.duplicate && x.label.kit && x.label.kitFiles);
  if (!v) return undefined;
  const kit = v.label.kit!;
  const entries = v.label.kitFiles!;
  const clash = manifest.files.find((f) => f.path === KIT_DIR || f.path.startsWith(`${KIT_DIR}/`));
  if (clash) throw new FerryError(`volume ${v.name} carries an offline kit in ${KIT_DIR}/, but the manifest lists ${clash.path} there too; Ferry never writes such a set.`, 'Treat these volumes as untrusted.');
  for (const e of entries) {
    const where = `volume ${v.name}: ${e.path}`;
    const { stream } = await mediaReadStream(v.dir, e.path, { label: where, ...(signal ? { signal } : {}) });
    await writeVerified(stream, join(outDir, e.path), { sha256: e.sha256, size: e.size }, { ...(signal ? { signal } : {}) }).catch((err: Error) => {
      throw new FerryError(`${where} does not match its label: ${err.message}`, 'This medium was altered or damaged; re-write volume 1 from the bundle, or assemble without a kit from another copy.');
    });
  }
  const read = await readKit(join(outDir, KIT_DIR));
  const problems = kitListProblems(read.manifest, kit.sha256, entries);
  if (read.sha256 !== kit.sha256) problems.unshift({ path: kitPath(KIT_FILE), detail: `sha256 ${read.sha256}, label says ${kit.sha256}` });
  if (problems.length > 0) throw new FerryError(`volume ${v.name}: the kit does not agree with its label (${problems.slice(0, 3).map((p) => `${p.path}: ${p.detail}`).join('; ')}).`, 'This medium was altered or damaged; treat it as untrusted.');
  for (const f of read.manifest.files) if (f.executable) await chmod(join(outDir, KIT_DIR, f.path), 0o755);
  return kit;
}

/** For a folder that may carry ferry/kit.json (an assembled bundle, a volume): its coverage, or nothing. */
export async function folderKitCoverage(dir: string, trust?: TrustLookup): Promise<{ kit?: KitCoverageView }> {
  if (!(await hasKit(dir))) return {};
  try {
    const { summary } = await readKit(join(dir, KIT_DIR));
    return { kit: await kitCoverage(dir, summary, trust) };
  } catch {
    return {}; // an unreadable kit is verify's problem to report, not the approval state's
  }
}
