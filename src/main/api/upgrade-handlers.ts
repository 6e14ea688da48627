import type { Services } from '../core/services';
import { UpgradeService } from '../upgrade/upgrade-service';
import { actingIfAny, asCaller } from './call-context';
import type { Handlers } from './handlers';
import { startInstallJob } from './install-jobs';

/**
 * `upgrade:run`: an install to a newer bundle of its recipe, as a job of its caller (an operator
 * or admin; custody signed by them). The registry password goes to this run only: never into the
 * job's parameters, title or result. The upgrade's log lines become the job's phase.
 */
export function upgradeHandlers(s: Services): Pick<Handlers, 'upgrade:run'> {
  return {
    'upgrade:run': async ({ installId, dir, volumes, password, planOnly }, ctx) => {
      const acting = actingIfAny(ctx, ['operator', 'admin']);
      const custody = acting ? s.custody.signedBy(asCaller(acting).as) : s.custody;
      const service = new UpgradeService({ db: s.db, custody, pool: s.pool, dataDir: s.dataDir });
      const source = dir ? { dir } : { volumes: volumes ?? [] };
      const params = { installId, ...source, ...(planOnly ? { planOnly: true } : {}), ...(acting ? { by: acting.name } : {}) };
      return startInstallJob(s, installId, 'upgrade.run', planOnly ? 'Upgrade plan' : 'Upgrade', params, (job) =>
        service.upgrade({ installId, ...source, ...(password !== undefined ? { password } : {}), ...(planOnly ? { planOnly: true } : {}) }, job, (line) => job.phase(line)),
      );
    },
  };
}
