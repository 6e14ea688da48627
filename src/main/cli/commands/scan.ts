import { Command } from 'commander';
import { isBlocking } from '../../scan/rules';
import type { ScanReport } from '../../scan/types';
import { EXIT, print, withCommon, withServices, type CommonOptions } from '../context';

/**
 * `ferry scan PATH [--json]`: exit 0 only when clean (nothing in it could run code when loaded), 1 when
 * any finding blocks, 2 when it could not scan (the path is missing or unreadable — scan:path's
 * UsageError — or, with nothing else blocking, a file in it could not be read).
 */
export function scanCommand(): Command {
  return withCommon(new Command('scan'))
    .description('scan a model file or folder (types from content): pickle imports against PyTorch\'s weights_only allow-list, zip/safetensors/npy/GGUF/Keras checks, antivirus, licence, GPU memory; exit 0 clean, 1 blocked, 2 could not scan')
    .argument('<path>', 'model file or folder')
    .action(async (target: string, o: CommonOptions) =>
      withServices(o, async (cli) => {
        const { formatScanReport } = await import('../../scan/scan-report');
        // The view is the scanner's report as it crossed the transport (scan/types.ts ScanReport).
        const report = (await cli.handlers['scan:path']({ path: target })) as unknown as ScanReport;
        print(cli, report, () => formatScanReport(report, target));
        process.exitCode = scanExitCode(report);
      }),
    );
}

/** 0 clean; 1 a finding blocks; 2 nothing else blocks but a file could not be read (could not scan). */
export function scanExitCode(report: ScanReport): number {
  if (report.findings.some(isBlocking)) return EXIT.failed;
  if (report.errors.length) return EXIT.usage;
  return report.blocked ? EXIT.failed : EXIT.ok;
}
