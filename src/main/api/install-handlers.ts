import type { InvokeArg, InvokeResult, JobInfo } from '../../shared/api';
import type { InstallInvokeApi, InstallView } from '../../shared/api-install';
import type { Services } from '../core/services';
import { actingIfAny, asCaller, type CallContext } from './call-context';
import type { ActingIdentity } from '../identity/identity-store';
import type { CustodyStore } from '../custody/custody-store';
import { InstallService } from '../install/install-service';
import type { JobBody } from '../jobs/job-runner';
import { startInstallJob } from './install-jobs';

type Channel = keyof InstallInvokeApi;
type InstallHandlers = { [C in Channel]: (arg: InvokeArg<C>, ctx: CallContext) => Promise<InvokeResult<C>> };

/**
 * `install:*`: the guided install wizard's channels over InstallService. Runs and undos are
 * jobs (progress on `job:update`); the registry password goes to the service for this run
 * only and is never put in a job's stored parameters, a title or a result.
 */
export function installHandlers(s: Services, service = new InstallService({ db: s.db, custody: s.custody, pool: s.pool, dataDir: s.dataDir })): InstallHandlers {
  /** Every install step runs as its caller: its custody events are signed by them. */
  const signed = (acting: ActingIdentity | undefined): CustodyStore => (acting ? s.custody.signedBy(asCaller(acting).as) : s.custody);
  // One job at a time per install (shared with upgrade:run: install-jobs.ts).
  const exclusive = (installId: string, title: string, params: Record<string, unknown>, body: JobBody<InstallView>): JobInfo => startInstallJob(s, installId, 'install.run', title, params, body);
  const label = (installId: string): string => {
    const view = service.get(installId); // throws for an unknown install before any job starts
    return `${view.recipe.title} ${view.recipe.version}`;
  };

  return {
    'install:inspect': async (arg) => service.inspect(arg),
    'install:plan': async (req, ctx) => {
      const acting = actingIfAny(ctx, ['operator', 'admin']);
      return service.plan(req, { custody: signed(acting) }); // allowances are recorded as the caller's
    },
    'install:get': async ({ installId }) => service.get(installId),
    'install:list': async () => service.list(),
    'install:run': async ({ installId, stepId, password }, ctx) => {
      const acting = actingIfAny(ctx, ['operator', 'admin']);
      const title = `Install ${label(installId)}: ${stepId ? `step ${stepId}` : 'all steps'}`;
      return exclusive(installId, title, { installId, ...(stepId ? { stepId } : {}), ...(acting ? { by: acting.name } : {}) }, (job) =>
        service.run(installId, { ...(stepId ? { stepId } : {}), ...(password ? { password } : {}), custody: signed(acting) }, job),
      );
    },
    'install:undo': async ({ installId, stepId, removeVolumes }, ctx) => {
      const acting = actingIfAny(ctx, ['operator', 'admin']);
      return exclusive(installId, `Install ${label(installId)}: undo ${stepId}`, { installId, stepId, undo: true, ...(acting ? { by: acting.name } : {}) }, (job) => service.undo(installId, stepId, job, { custody: signed(acting), ...(removeVolumes ? { removeVolumes: true } : {}) }));
    },
    'install:preflight': async (arg) => service.preflight(arg),
  };
}
