import type { CustodyImportResult, ReportFile } from '../../shared/channels/custody-admin';
import { UsageError } from '../../shared/errors';
import type { Services } from '../core/services';
import { importCustody } from '../custody/custody-import';
import { buildReport } from '../custody/report-data';
import { eventsCsv, htmlToPdfBytes } from '../custody/report-export';
import { renderReportHtml } from '../custody/report-html';
import { actingIfAny, asCaller } from './call-context';
import type { Handlers } from './handlers';

// The offline admin's custody work (src/shared/channels/custody-admin.ts). Recording and taking
// in a log act (signed by the caller; auditors only read); a report is returned as a file, never
// written anywhere by the station.

const ACTING = ['operator', 'reviewer', 'admin'] as const;

const MEDIA_TYPES = { html: 'text/html', pdf: 'application/pdf', csv: 'text/csv' } as const;

export function custodyAdminHandlers(s: Services): Pick<Handlers, 'custody:import' | 'custody:record' | 'custody:report'> {
  const custodyOf = (acting: ReturnType<typeof actingIfAny>) => (acting ? s.custody.signedBy(asCaller(acting).as) : s.custody);
  return {
    'custody:import': async ({ dir }, ctx): Promise<CustodyImportResult> => {
      const acting = actingIfAny(ctx, ACTING);
      return importCustody(dir, s.db, custodyOf(acting), acting?.role ?? 'admin');
    },
    // The type is one of MANUAL_EVENT_TYPES (the schema's enum): the other events are written only by the operations themselves.
    'custody:record': async ({ type, bundleId, details, role }, ctx) => {
      const acting = actingIfAny(ctx, ACTING);
      return custodyOf(acting).append({ type, role: role ?? acting?.role ?? 'operator', bundleId, details: details ?? {} });
    },
    'custody:report': async ({ bundleId, format, bundleDir }): Promise<ReportFile> => {
      const r = await buildReport(s.db, s.custody, bundleId, bundleDir);
      if (r.events.length === 0) throw new UsageError(`This station has no custody events for bundle ${bundleId}.`, 'See the bundles it has events for: ferry custody log.');
      const bytes = format === 'csv' ? Buffer.from(eventsCsv(r.events)) : format === 'html' ? Buffer.from(renderReportHtml(r)) : await htmlToPdfBytes(renderReportHtml(r));
      return { fileName: `custody-${bundleId}.${format}`, mediaType: MEDIA_TYPES[format], contentBase64: bytes.toString('base64'), bytes: bytes.length };
    },
  };
}
