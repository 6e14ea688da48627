import { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { UsageError } from '../../../shared/errors';
import { print, withCommon, withServices, type CommonOptions } from '../context';

interface Opts extends CommonOptions {
  html?: string;
  pdf?: string;
  csv?: string;
  bundleDir?: string;
}

export function reportCommand(): Command {
  return withCommon(new Command('report'))
    .description('per-bundle custody report: HTML (print-friendly), PDF (via headless Chromium), CSV of events')
    .argument('<bundle-id>', 'bundle id')
    .option('--html <file>', 'write the HTML report here')
    .option('--pdf <file>', 'write a PDF of the report here (needs Chromium)')
    .option('--csv <file>', 'write every event of the bundle as CSV here')
    .option('--bundle-dir <dir>', 'the bundle itself, to add its manifest, artifacts and a check of its approvals')
    .action(async (bundleId: string, o: Opts) => {
      if (!o.html && !o.pdf && !o.csv) throw new UsageError('Choose at least one of --html, --pdf or --csv.');
      await withServices(o, async (cli) => {
        const [{ buildReport }, { eventsCsv, htmlToPdf }, { renderReportHtml }] = await Promise.all([import('../../custody/report-data'), import('../../custody/report-export'), import('../../custody/report-html')]);
        const r = await buildReport(cli.services.db, cli.services.custody, bundleId, o.bundleDir);
        if (r.events.length === 0) throw new UsageError(`This station has no custody events for bundle ${bundleId}.`);
        const written: string[] = [];
        const html = o.html || o.pdf ? renderReportHtml(r) : '';
        if (o.html) {
          await writeFile(o.html, html);
          written.push(o.html);
        }
        if (o.pdf) {
          await htmlToPdf(html, o.pdf);
          written.push(o.pdf);
        }
        if (o.csv) {
          await writeFile(o.csv, eventsCsv(r.events));
          written.push(o.csv);
        }
        const chainOk = r.chain.local.ok && r.chain.imported.ok;
        print(cli, { bundleId, events: r.events.length, chainOk, written }, () => `Custody report for ${bundleId}: ${r.events.length} events, chain ${chainOk ? 'intact' : 'BROKEN'}\n${written.map((w) => `  wrote ${w}`).join('\n')}`);
      });
    });
}
