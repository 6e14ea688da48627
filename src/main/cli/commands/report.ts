import { Command } from 'commander';
import { UsageError } from '../../../shared/errors';
import { print, withCommon, withServices, type CommonOptions } from '../context';
import { writeReturnedFile } from '../returned-file';

interface Opts extends CommonOptions {
  html?: string;
  pdf?: string;
  csv?: string;
  bundleDir?: string;
  force?: boolean;
}

export function reportCommand(): Command {
  return withCommon(new Command('report'))
    .description('per-bundle custody report: HTML (print-friendly), PDF (via headless Chromium), CSV of events')
    .argument('<bundle-id>', 'bundle id')
    .option('--html <file>', 'write the HTML report here')
    .option('--pdf <file>', 'write a PDF of the report here (needs Chromium)')
    .option('--csv <file>', 'write every event of the bundle as CSV here')
    .option('--bundle-dir <dir>', 'the bundle itself, to add its manifest, artifacts and a check of its approvals')
    .option('--force', 'replace report files that already exist')
    .action(async (bundleId: string, o: Opts) => {
      const wanted = (['html', 'pdf', 'csv'] as const).flatMap((format) => (o[format] ? [{ format, file: o[format] }] : []));
      if (wanted.length === 0) throw new UsageError('Choose at least one of --html, --pdf or --csv.');
      await withServices(o, async (cli) => {
        const written: string[] = [];
        for (const { format, file } of wanted) {
          const r = await cli.handlers['custody:report']({ bundleId, format, ...(o.bundleDir ? { bundleDir: o.bundleDir } : {}) });
          await writeReturnedFile(file, Buffer.from(r.contentBase64, 'base64'), { force: o.force });
          written.push(file);
        }
        const v = await cli.handlers['custody:verify']({ bundleId });
        const chainOk = v.local.ok && v.imported.ok;
        const events = v.bundleEvents ?? 0;
        print(cli, { bundleId, events, chainOk, written }, () => `Custody report for ${bundleId}: ${events} events, chain ${chainOk ? 'intact' : 'BROKEN'}\n${written.map((w) => `  wrote ${w}`).join('\n')}`);
      });
    });
}
