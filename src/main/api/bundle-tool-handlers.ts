import type { BomDocument, ScanPathView } from '../../shared/channels/bundle-tools';
import { FerryError, isAbortError, UsageError } from '../../shared/errors';
import type { Services } from '../core/services';
import type { Handlers } from './handlers';

// Reading tools: the model scanner and the bill of materials. Their modules (scanners, the
// CycloneDX library and its validator) load on the first call (start-up: see handlers.ts).

export function bundleToolHandlers(_s: Services): Pick<Handlers, 'scan:path' | 'bom:document'> {
  return {
    'scan:path': async ({ path }): Promise<ScanPathView> => {
      const { scanPath } = await import('../scan/scan-path');
      return scanPath(path).catch((err: unknown) => {
        // "Could not scan" (missing, unreadable) is the caller's to fix: a UsageError (the CLI's exit 2).
        if (err instanceof FerryError && !isAbortError(err)) throw new UsageError(err.message, err.hint);
        throw err;
      });
    },
    'bom:document': async ({ dir, format }): Promise<BomDocument> => {
      const { exportBom } = await import('../bom/bom-export');
      return exportBom(dir, format ?? 'cyclonedx');
    },
  };
}
