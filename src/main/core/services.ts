import { join } from 'node:path';
import { CustodyStore, type Identity } from '../custody/custody-store';
import { openDatabase, type Db } from '../db/database';
import { HashPool } from '../hash/hash-pool';
import { JobRunner } from '../jobs/job-runner';
import { currentIdentity } from './identity';
import { defaultDataDir } from './paths';
import { FERRY_VERSION } from './version';

export interface Services {
  dataDir: string;
  identity: Identity;
  version: string;
  db: Db;
  custody: CustodyStore;
  jobs: JobRunner;
  pool: HashPool;
  close(): Promise<void>;
}

export interface ServiceOptions {
  dataDir?: string;
  identity?: Identity;
}

/** Wires the Electron-free services one process needs (app, CLI or headless server). */
export function createServices(opts: ServiceOptions = {}): Services {
  const dataDir = opts.dataDir ?? defaultDataDir();
  const identity = opts.identity ?? currentIdentity();
  const db = openDatabase(join(dataDir, 'ferry.db'));
  const pool = new HashPool();
  return {
    dataDir,
    identity,
    version: FERRY_VERSION,
    db,
    custody: new CustodyStore(db, identity),
    jobs: new JobRunner(db),
    pool,
    close: async () => {
      await pool.close();
      db.close();
    },
  };
}
