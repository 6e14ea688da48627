import { lstat, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ReviewInvokeApi, TrustedKeyView } from '../../shared/api-review';
import { FerryError, UsageError } from '../../shared/errors';
import { bundleDocument } from '../bundle/bundle-document';
import { reviewQueue } from '../review/queue';
import type { Services } from '../core/services';
import { verifyImported } from '../custody/custody-import';
import { buildReport } from '../custody/report-data';
import { eventsCsv } from '../custody/report-export';
import { renderReportHtml } from '../custody/report-html';
import type { ActingIdentity } from '../identity/identity-store';
import { formatFingerprint } from '../identity/keys';
import { parseKeyFile, TrustStore, type CandidateKey, type TrustedKey } from '../identity/trust-store';
import { diffAgainstApproved } from '../review/bundle-diff';
import { reviewBundle } from '../review/review';
import { asCaller, requireActing, type CallContext } from './call-context';
import { stationAdmin } from './station-admin-access';

type ReviewChannels = 'bundle:manifest' | 'review:decide' | 'review:queue' | 'trust:list' | 'trust:add' | 'trust:revoke' | 'custody:verify' | 'custody:export' | 'bundle:bom';
type Fns = { [C in ReviewChannels]: (arg: Parameters<ReviewInvokeApi[C]>[0], ctx: CallContext) => ReturnType<ReviewInvokeApi[C]> };

const keyView = (k: TrustedKey | CandidateKey): TrustedKeyView => ({
  fingerprint: k.fingerprint,
  display: formatFingerprint(k.fingerprint),
  name: k.name,
  role: k.role,
  ...('pinnedAt' in k ? { pinnedAt: k.pinnedAt, pinnedBy: k.pinnedBy } : {}),
  ...('revokedAt' in k && k.revokedAt ? { revokedAt: k.revokedAt, revokeReason: k.revokeReason } : {}),
});

export function reviewHandlers(s: Services): Fns {
  const record = (acting: ActingIdentity | undefined, type: string, details: Record<string, unknown>): void => {
    s.custody.append({ ...(acting ? asCaller(acting) : {}), type, role: acting?.role ?? 'admin', details });
  };
  return {
    'bundle:manifest': async ({ dir }) => {
      const doc = await bundleDocument(dir);
      const { recipe, diff } = await diffAgainstApproved(s.db, s.dataDir, doc.dir);
      return { ...doc, recipe, ...(diff ? { diff } : {}) };
    },
    'review:queue': async () => reviewQueue(s.custody.list({ limit: 10_000 })),
    'review:decide': async ({ dir, decision, reason }, ctx) => {
      const acting = requireActing(ctx, ['reviewer', 'admin']);
      const r = await reviewBundle({ dir, decision, reason }, { db: s.db, custody: s.custody, acting, dataDir: s.dataDir });
      // The decision, with what the CLI prints: the DSSE envelope, the kit digest, the custody export.
      return { ...r, reviewer: acting.name, exportedEvents: r.custody.count };
    },
    'trust:list': async () => new TrustStore(s.db).list().map(keyView),
    'trust:add': async ({ path, confirm, name, role }, ctx) => {
      const file = resolve(path);
      const st = await lstat(file).catch(() => null);
      if (!st?.isFile()) throw new UsageError(`${file} is not a file.`);
      if (st.size > 64 * 1024) throw new UsageError(`${file} is too large to be a key file.`);
      const key = parseKeyFile(await readFile(file, 'utf8'), { name, role });
      if (!confirm) return { pinned: false, candidate: keyView(key) };
      const acting = stationAdmin(ctx, s.db, 'pinning keys');
      const pinned = new TrustStore(s.db).add(key, confirm, acting?.name ?? s.identity.actor);
      record(acting, 'key-pinned', { name: pinned.name, role: pinned.role, fingerprint: pinned.fingerprint });
      return { pinned: true, key: keyView(pinned) };
    },
    'trust:revoke': async ({ fingerprint, reason }, ctx) => {
      const acting = stationAdmin(ctx, s.db, 'revoking keys');
      const k = new TrustStore(s.db).revoke(fingerprint, reason);
      record(acting, 'key-revoked', { name: k.name, fingerprint: k.fingerprint, reason });
      return keyView(k);
    },
    'custody:verify': async ({ bundleId }) => {
      const imported = verifyImported(s.db);
      return {
        local: s.custody.verifyChain(),
        imported: imported.ok ? { ok: true } : { ok: false, detail: `${imported.origin} event #${imported.seq} (${imported.eventId}): ${imported.reason}` },
        ...(bundleId ? { bundleEvents: s.custody.bundleEvents(bundleId).length } : {}),
      };
    },
    'custody:export': async ({ bundleId, format, path, bundleDir }) => {
      const target = resolve(path);
      const existing = await lstat(target).catch(() => null);
      if (existing && !existing.isFile()) throw new UsageError(`${target} exists and is not a regular file.`);
      const r = await buildReport(s.db, s.custody, bundleId, bundleDir || undefined);
      if (r.events.length === 0) throw new FerryError(`This station has no custody events for bundle ${bundleId}.`);
      await writeFile(target, format === 'html' ? renderReportHtml(r) : eventsCsv(r.events));
      return { path: target, events: r.events.length };
    },
    'bundle:bom': async ({ dir, format, path }) => {
      const target = resolve(path);
      const existing = await lstat(target).catch(() => null);
      if (existing && !existing.isFile()) throw new UsageError(`${target} exists and is not a regular file.`);
      // The CycloneDX library (and its validator) loads only for an export (start-up: see handlers.ts).
      const { exportBom, writeBomExport } = await import('../bom/bom-export');
      const e = await exportBom(dir, format);
      await writeBomExport(e, target);
      return { path: target, format, components: e.components, sha256: e.sha256 };
    },
  };
}
