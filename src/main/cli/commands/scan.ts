import { Command } from 'commander';
import { FerryError, isAbortError, UsageError } from '../../../shared/errors';
import { scanPath } from '../../scan/scan-path';
import { formatScanReport } from '../../scan/scan-report';
import { EXIT, print, withCommon, type CommonOptions } from '../context';

/**
 * `ferry scan PATH [--json]`: exit 0 when nothing is dangerous, 1 when any finding is dangerous,
 * 2 when the path (or, with nothing dangerous found, any file in it) could not be scanned.
 */
export function scanCommand(): Command {
  return withCommon(new Command('scan'))
    .description('scan a model file or folder: pickle imports, safetensors headers, antivirus, licence, GPU memory; exit 1 on anything dangerous')
    .argument('<path>', 'model file or folder')
    .action(async (target: string, o: CommonOptions) => {
      const controller = new AbortController();
      const onSigint = (): void => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        const report = await scanPath(target, { signal: controller.signal }).catch((err: unknown) => {
          // "Could not scan" is exit 2, the code main() gives a UsageError.
          if (err instanceof FerryError && !isAbortError(err)) throw new UsageError(err.message, err.hint);
          throw err;
        });
        print({ json: !!o.json }, report, () => formatScanReport(report, target));
        process.exitCode = report.blocked ? EXIT.failed : report.errors.length ? EXIT.usage : EXIT.ok;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
