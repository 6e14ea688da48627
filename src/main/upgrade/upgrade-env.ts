import type Dockerode from 'dockerode';
import type { Progress } from '../jobs/progress';
import type { CustodyStore } from '../custody/custody-store';
import type { Db } from '../db/database';
import { dockerFromEnv } from '../docker/docker-loader';
import type { HashPool } from '../hash/hash-pool';
import { engineInfo } from '../install/engine/engine-info';
import type { InstallRecord } from '../install/install-store';
import type { StepEnv } from '../install/steps/step-env';

export interface UpgradeDeps {
  db: Db;
  custody: CustodyStore;
  pool: HashPool;
  dataDir: string;
}

/**
 * A step environment over a record that is not (yet) the stored install: the new bundle's plan,
 * for the verify step and the registry login before anything is switched.
 */
export function detachedEnv(deps: UpgradeDeps, record: InstallRecord, progress: Progress, log: (line: string) => void, password?: string): StepEnv {
  let docker: Dockerode | undefined;
  const env: StepEnv = {
    installId: record.id,
    dataDir: deps.dataDir,
    record,
    ...(password !== undefined ? { password } : {}),
    custody: deps.custody,
    pool: deps.pool,
    db: deps.db,
    progress,
    log,
    docker: () => (docker ??= dockerFromEnv(record.request.dockerHost)),
    engineKind: async () => (await engineInfo(env.docker())).kind,
    result: () => undefined,
    setParams: () => undefined,
  };
  return env;
}
