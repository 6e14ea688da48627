import { join } from 'node:path';
import { CustodyStore, type Identity } from '../custody/custody-store';
import { forwardFromSettings } from '../custody/syslog';
import { openDatabase, type Db } from '../db/database';
import { secureDataDir } from './data-dir';
import { HashPool } from '../hash/hash-pool';
import { withStation } from '../identity/station';
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
  const dataDir = secureDataDir(opts.dataDir ?? defaultDataDir()); // 0700 dir, 0600 files (core/data-dir.ts)
  const db = openDatabase(join(dataDir, 'ferry.db'));
  const identity = opts.identity ?? withStation(db, currentIdentity());
  const pool = new HashPool();
  const custody = new CustodyStore(db, identity);
  const syslog = forwardFromSettings(db, custody);
  return {
    dataDir,
    identity,
    version: FERRY_VERSION,
    db,
    custody,
    jobs: new JobRunner(db),
    pool,
    close: async () => {
      await syslog?.close();
      await pool.close();
      db.close();
    },
  };
}
