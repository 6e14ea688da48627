import type { Services } from '../core/services';
import { InstallService } from '../install/install-service';
import { actingIfAny, asCaller } from './call-context';
import type { Handlers } from './handlers';

/**
 * `install:remove`: removes an install record that never ran (or whose steps were all undone),
 * with what Ferry generated for it under the data dir; refused, naming the install and its steps,
 * once a step has run. Recorded in custody as the caller's `install.removed`.
 */
export function installRecordHandlers(s: Services, service = new InstallService({ db: s.db, custody: s.custody, pool: s.pool, dataDir: s.dataDir })): Pick<Handlers, 'install:remove'> {
  return {
    'install:remove': async ({ installId }, ctx) => {
      const acting = actingIfAny(ctx, ['operator', 'admin']);
      return service.remove(installId, { custody: acting ? s.custody.signedBy(asCaller(acting).as) : s.custody });
    },
  };
}
