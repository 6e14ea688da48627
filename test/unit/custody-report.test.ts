import { afterEach, describe, expect, it } from 'vitest';
import { buildReport } from '../../src/main/custody/report-data';
import { eventsCsv } from '../../src/main/custody/report-export';
import { renderReportHtml } from '../../src/main/custody/report-html';
import { station, temp, type Station } from './custody-fixtures';

let t: ReturnType<typeof temp>;
let s: Station;
afterEach(() => {
  s.close();
  t.cleanup();
});

describe('custody report', () => {
  it('escapes hostile text in HTML, loads nothing external, and derives artifacts from the events', async () => {
    t = temp();
    s = station(t.path, 'low');
    s.custody.append({ type: 'resolved', role: 'operator', bundleId: 'b1', details: { images: [{ source: 'reg/x:1', digest: `sha256:${'1'.repeat(64)}` }] } });
    s.custody.append({ type: 'note', role: 'operator', bundleId: 'b1', details: { text: '<script>alert(1)</script>' } });
    s.custody.append({ type: 'sealed', role: 'operator', bundleId: 'b1', details: { seals: ['S-1'] } });
    const r = await buildReport(s.db, s.custody, 'b1');
    expect(r.artifacts).toEqual([{ kind: 'image', name: 'reg/x:1', version: `sha256:${'1'.repeat(64)}` }]);
    expect(r.seals.map((e) => e.type)).toEqual(['sealed']);
    expect(r.chain.local).toMatchObject({ ok: true, count: 3 });
    const html = renderReportHtml(r);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
    expect(html).toContain("default-src 'none'");
  });

  it('shows details as labelled fields and highlights a check that failed', async () => {
    t = temp();
    s = station(t.path, 'low');
    s.custody.append({ type: 'sealed', role: 'operator', bundleId: 'b1', details: { seals: ['S-1', 'S-2'] } });
    s.custody.append({ type: 'verified', role: 'admin', bundleId: 'b1', details: { dir: '/m/b1', ok: false, problems: 2 } });
    const html = renderReportHtml(await buildReport(s.db, s.custody, 'b1'));
    expect(html).toContain('<span class="k">seals:</span> S-1, S-2');
    expect(html).not.toContain('{&quot;seals&quot;');
    const failedRows = html.match(/<tr class="failed">.*?<\/tr>/g) ?? [];
    expect(failedRows.length).toBeGreaterThan(0);
    expect(failedRows.every((row) => row.includes('<b>verified</b> <span class="bad">check failed</span>'))).toBe(true);
    expect(failedRows.some((row) => row.includes('<b>sealed</b>'))).toBe(false);
  });

  it('writes RFC 4180 CSV and defuses cells a spreadsheet would run as formulas', async () => {
    t = temp();
    s = station(t.path, 'low');
    s.custody.append({ type: 'note', role: 'operator', bundleId: 'b1', details: { text: 'a, "quoted"\nline' } });
    const r = await buildReport(s.db, s.custody, 'b1');
    const csv = eventsCsv([...r.events, { ...r.events[0]!, actor: '=HYPERLINK("http://x")' }]);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('source,seq,event_id,at,type,actor,role,station,location,bundle_id,details,prev_hash,hash,signer,signer_name,signature');
    expect(csv).toContain('"{""text"":""a, \\""quoted\\""\\nline""}"');
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
  });
});
