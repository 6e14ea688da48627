import { formatBytes } from '../../shared/format';
import { formatFingerprint } from '../identity/keys';
import { isFailedCheck } from '../../shared/custody-checks';
import type { CustodyReport, ReportEvent } from './report-data';

const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const CSS = `
body{font:13px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#111;margin:24px;max-width:1200px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:22px 0 6px;border-bottom:1px solid #999;padding-bottom:2px}
table{border-collapse:collapse;width:100%;margin:4px 0}th,td{border:1px solid #bbb;padding:3px 5px;text-align:left;vertical-align:top}
th{background:#eee}code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px;word-break:break-all}
.ok{color:#075e07;font-weight:600}.bad{color:#a00;font-weight:700}.muted{color:#555}
.meta td:first-child{width:180px;font-weight:600}
tr.failed td{background:#fde8e8}.k{color:#555}

@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}a{color:inherit}}
`;

/** Rows whose `failed` flag is set are highlighted (a check that did not pass). */
function table(headers: string[], rows: (string[] | { cells: string[]; failed: boolean })[]): string {
  if (rows.length === 0) return '<p class="muted">None recorded.</p>';
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => (Array.isArray(r) ? { cells: r, failed: false } : r))
    .map((r) => `<tr${r.failed ? ' class="failed"' : ''}>${r.cells.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const who = (e: ReportEvent): string => `${esc(e.actor)} <span class="muted">(${esc(e.role)})</span>`;
const where = (e: ReportEvent): string => `${esc(e.station)}${e.location ? `<br><span class="muted">${esc(e.location)}</span>` : ''}`;
/** Details as labelled fields, one per line. */
const details = (e: ReportEvent): string =>
  Object.entries(e.details ?? {})
    .map(([k, v]) => `<span class="k">${esc(k)}:</span> ${esc(typeof v === 'string' ? v : Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.join(', ') : JSON.stringify(v))}`)
    .join('<br>');
/** The step's name, marked when it records a check that did not pass. */
const step = (e: ReportEvent): string => `<b>${esc(e.type)}</b>${isFailedCheck(e) ? ' <span class="bad">check failed</span>' : ''}`;
const signedBy = (e: ReportEvent): string =>
  e.signer ? `${esc(e.signerName ?? '?')}<br><code>${esc(formatFingerprint(e.signer).slice(0, 27))}…</code>` : '<span class="muted">unsigned</span>';

function verdictLine(label: string, ok: boolean, text: string): string {
  return `<tr><td>${esc(label)}</td><td class="${ok ? 'ok' : 'bad'}">${ok ? 'INTACT' : 'BROKEN'}</td><td>${esc(text)}</td></tr>`;
}

/** A self-contained, print-friendly HTML custody report (no scripts, no external resources). */
export function renderReportHtml(r: CustodyReport): string {
  const l = r.chain.local;
  const i = r.chain.imported;
  const a = r.chain.approvals;
  const chain = `<table>${verdictLine('This station\'s chain', l.ok, l.ok ? `${l.count} events${l.signed ? `, ${l.signed} signed` : ''}` : `event #${l.seq} (${l.eventId}): ${l.reason}`)}${verdictLine(
    'Imported chains',
    i.ok,
    i.ok ? `${i.count} events` : `event #${i.seq} from ${i.origin} (${i.eventId}): ${i.reason}`,
  )}${a ? `<tr><td>Approvals in the bundle</td><td class="${a.ok ? 'ok' : 'bad'}">${a.ok ? 'VERIFIED' : 'REFUSED'}</td><td>${esc(a.ok ? `approved by ${a.approvedBy.map((x) => x.name).join(', ')} (${a.approvedBy.length} of ${a.required})` : a.reasons.join('; '))}</td></tr>` : ''}</table>`;
  const m = r.manifest;
  const meta = `<table class="meta">
<tr><td>Bundle</td><td class="mono">${esc(r.bundleId)}</td></tr>
${m ? `<tr><td>Manifest sha256</td><td class="mono">${esc(m.sha256)}</td></tr><tr><td>Created</td><td>${esc(m.createdAt)} by ${esc(m.createdBy)}</td></tr><tr><td>Files</td><td>${m.files} (${esc(formatBytes(m.bytes))})</td></tr>` : ''}
<tr><td>Report generated</td><td>${esc(r.generatedAt)} at ${esc(r.station.name)}${r.station.location ? `, ${esc(r.station.location)}` : ''}</td></tr>
</table>`;
  const timeline = table(
    ['#', 'Time', 'Step', 'Actor', 'Station', 'Details', 'Hash / previous hash', 'Signed by'],
    r.events.map((e) => ({
      failed: isFailedCheck(e),
      cells: [
        `${e.source === 'local' ? '' : `<span class="muted">${esc(e.source)}</span> `}${e.seq}`,
        esc(e.at),
        step(e),
        who(e),
        where(e),
        details(e),
        `<code>${esc(e.hash)}</code><br><code class="muted">${esc(e.prevHash)}</code>`,
        signedBy(e),
      ],
    })),
  );
  const short = (e: ReportEvent): { cells: string[]; failed: boolean } => ({ failed: isFailedCheck(e), cells: [esc(e.at), step(e), who(e), details(e), signedBy(e)] });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Custody report ${esc(r.bundleId)}</title><style>${CSS}</style></head><body>
<h1>Chain-of-custody report</h1>
${meta}
<h2>Chain state</h2>${chain}
<h2>Artifacts</h2>${table(['Kind', 'Artifact', 'Digest / revision', 'Size'], r.artifacts.map((x) => [esc(x.kind), esc(x.name), `<code>${esc(x.version)}</code>`, x.size === undefined ? '' : esc(formatBytes(x.size))]))}
<h2>Approvals</h2>${table(['Time', 'Decision', 'Reviewer', 'Details', 'Signed by'], r.approvals.map(short))}
<h2>Overrides of blocking findings, and unapproved writes</h2>${overridesSection(r)}
<h2>Media</h2>${table(['Time', 'Step', 'Actor', 'Details', 'Signed by'], r.media.map(short))}
<h2>Seals and receipt</h2>${table(['Time', 'Step', 'Actor', 'Details', 'Signed by'], r.seals.map(short))}
<h2>Verification</h2>${table(['Time', 'Step', 'Actor', 'Details', 'Signed by'], r.verifications.map(short))}
<h2>Timeline (${r.events.length} events)</h2>${timeline}
</body></html>
`;
}

/** Every override is shown on its own: the finding (file, rule, detail), the reason, who signed it. */
function overridesSection(r: CustodyReport): string {
  const events = table(
    ['Time', 'Step', 'Actor', 'File', 'Rule', 'Reason', 'Signed by'],
    r.overrides.map((e) => {
      const d = e.details as { file?: unknown; rule?: unknown; reason?: unknown; unapprovedReason?: unknown; overrides?: unknown };
      const file = d.file ?? (Array.isArray(d.overrides) ? (d.overrides as { file?: unknown }[]).map((o) => o.file).join(', ') : '');
      const rule = d.rule ?? (Array.isArray(d.overrides) ? (d.overrides as { rule?: unknown }[]).map((o) => o.rule).join(', ') : '');
      return [esc(e.at), `<b>${esc(e.type)}</b>`, who(e), `<code>${esc(file)}</code>`, `<code>${esc(rule)}</code>`, esc(d.reason ?? d.unapprovedReason ?? ''), signedBy(e)];
    }),
  );
  if (!r.bundleOverrides) return events;
  const carried = table(
    ['File', 'Rule', 'Detail', 'Reason', 'Overridden by', 'At'],
    r.bundleOverrides.map((o) => [`<code>${esc(o.file)}</code>`, `<code>${esc(o.rule)}</code>`, esc(o.detail), esc(o.reason), `${esc(o.by.name)}<br><code>${esc(formatFingerprint(o.by.fingerprint).slice(0, 27))}…</code>`, esc(o.at)]),
  );
  return `${events}<p>Overrides the bundle carries (overrides/, signature verified over this manifest):</p>${carried}`;
}
