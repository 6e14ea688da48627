import type { CustodyEvent } from '../../shared/api';
import { readManifest } from '../bundle/manifest-io';
import { isoWithOffset } from '../core/clock';
import type { Db } from '../db/database';
import { approvalPolicy, stationInfo } from '../identity/station';
import { TrustStore } from '../identity/trust-store';
import type { OverrideView } from '../../shared/api-overrides';
import { documentOverrides } from '../review/overrides';
import { verifyApprovals, type ApprovalVerdict } from '../review/verify-approvals';
import { importedEvents, verifyImported, type ImportedVerdict } from './custody-import';
import type { CustodyStore } from './custody-store';
import type { ChainVerdict } from './custody-verify';

export interface ReportEvent extends CustodyEvent {
  /** 'local' for this station's own chain, else the station whose imported log holds it. */
  source: string;
  signerName?: string;
}

export interface ReportArtifact {
  kind: string;
  name: string;
  version: string;
  size?: number;
}

export interface CustodyReport {
  bundleId: string;
  generatedAt: string;
  station: { name: string; location?: string };
  manifest?: { sha256: string; createdAt: string; createdBy: string; files: number; bytes: number };
  artifacts: ReportArtifact[];
  events: ReportEvent[];
  approvals: ReportEvent[];
  /** Overrides of blocking scan findings (recorded, accepted at import) and media written without approval. */
  overrides: ReportEvent[];
  /** The overrides the bundle itself carries (overrides/), when the bundle was at hand. */
  bundleOverrides?: OverrideView[];
  media: ReportEvent[];
  seals: ReportEvent[];
  verifications: ReportEvent[];
  chain: { local: ChainVerdict; imported: ImportedVerdict; approvals?: ApprovalVerdict };
}

/** Decisions that let a blocked or unapproved bundle through: each is shown in its own section. */
export const OVERRIDE_EVENTS = ['override-recorded', 'overrides-accepted', 'unapproved-write'];

const has = (e: CustodyEvent, ...keys: string[]): boolean => keys.some((k) => e.details[k] !== undefined);

/** Everything the station knows about one bundle, in time order, with the state of every chain. */
export async function buildReport(db: Db, custody: CustodyStore, bundleId: string, bundleDir?: string): Promise<CustodyReport> {
  const nameQ = db.prepare('SELECT name FROM custody_keys WHERE fingerprint = ?');
  const named = (e: CustodyEvent, source: string): ReportEvent => {
    const signerName = e.signer ? (nameQ.get(e.signer) as { name: string } | undefined)?.name : undefined;
    return { ...e, source, ...(signerName ? { signerName } : {}) };
  };
  const local = custody.bundleEvents(bundleId).map((e) => named(e, 'local'));
  const foreign = importedEvents(db, bundleId).map(({ origin, ...e }) => named(e, origin));
  const events = [...foreign, ...local].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));

  let manifest: CustodyReport['manifest'];
  let artifacts: ReportArtifact[] = [];
  let approvals: ApprovalVerdict | undefined;
  let bundleOverrides: OverrideView[] | undefined;
  if (bundleDir) {
    const m = await readManifest(bundleDir);
    manifest = {
      sha256: m.sha256,
      createdAt: m.manifest.createdAt,
      createdBy: `${m.manifest.createdBy.actor}@${m.manifest.createdBy.station}`,
      files: m.manifest.files.length,
      bytes: m.manifest.files.reduce((s, f) => s + f.size, 0),
    };
    artifacts = m.manifest.artifacts.map((a) =>
      a.kind === 'image' ? { kind: 'image', name: a.source, version: a.digest, size: a.size } : { kind: 'model', name: a.repo, version: a.revision, size: a.size },
    );
    approvals = await verifyApprovals(bundleDir, new TrustStore(db).lookup(), approvalPolicy(db));
    bundleOverrides = (await documentOverrides(bundleDir)).overrides;
  } else artifacts = artifactsFromEvents(events);

  const st = stationInfo(db);
  return {
    bundleId,
    generatedAt: isoWithOffset(),
    station: { name: custody.acting.station, ...(st.location ? { location: st.location } : {}) },
    ...(manifest ? { manifest } : {}),
    artifacts,
    events,
    approvals: events.filter((e) => e.type === 'approved' || e.type === 'rejected'),
    overrides: events.filter((e) => OVERRIDE_EVENTS.includes(e.type)),
    ...(bundleOverrides ? { bundleOverrides } : {}),
    media: events.filter((e) => e.type === 'written' || has(e, 'serials', 'mediaSerials', 'volumes')),
    seals: events.filter((e) => e.type === 'sealed' || e.type === 'received' || has(e, 'seals', 'sealNumbers', 'sealIntact')),
    verifications: events.filter((e) => /verified|refused|custody-imported|scanned/.test(e.type)),
    chain: { local: custody.verifyChain(), imported: verifyImported(db), ...(approvals ? { approvals } : {}) },
  };
}

/** Without the bundle at hand, the artifacts come from the resolved and acquired events. */
function artifactsFromEvents(events: CustodyEvent[]): ReportArtifact[] {
  const out = new Map<string, ReportArtifact>();
  for (const e of events) {
    const d = e.details as { artifact?: string; source?: string; digest?: string; size?: number; repo?: string; revision?: string; images?: unknown; models?: unknown };
    if (e.type === 'resolved') {
      for (const i of (Array.isArray(d.images) ? d.images : []) as { source?: string; digest?: string }[]) {
        if (i.source) out.set(`image:${i.source}`, { kind: 'image', name: i.source, version: i.digest ?? '' });
      }
      for (const m of (Array.isArray(d.models) ? d.models : []) as { repo?: string; revision?: string }[]) {
        if (m.repo) out.set(`model:${m.repo}`, { kind: 'model', name: m.repo, version: m.revision ?? '' });
      }
    } else if (e.type === 'acquired' && d.artifact === 'image' && d.source) {
      out.set(`image:${d.source}`, { kind: 'image', name: d.source, version: d.digest ?? '', ...(typeof d.size === 'number' ? { size: d.size } : {}) });
    } else if (e.type === 'acquired' && d.artifact === 'model' && d.repo) {
      out.set(`model:${d.repo}`, { kind: 'model', name: d.repo, version: d.revision ?? '', ...(typeof d.size === 'number' ? { size: d.size } : {}) });
    }
  }
  return [...out.values()];
}
