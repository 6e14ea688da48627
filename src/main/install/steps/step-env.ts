import type Dockerode from 'dockerode';
import type { CustodyStore } from '../../custody/custody-store';
import type { Db } from '../../db/database';
import type { HashPool } from '../../hash/hash-pool';
import type { Progress } from '../../jobs/progress';
import type { ParamValues } from '../../recipes/recipe-schema';
import type { InstallRecord } from '../install-store';

/** What a step gets to do its work. */
export interface StepEnv {
  installId: string;
  dataDir: string;
  record: InstallRecord;
  /** The registry password, held in memory only. */
  password?: string;
  custody: CustodyStore;
  pool: HashPool;
  db: Db;
  progress: Progress;
  /** Appends a line to the step's log tail. */
  log(line: string): void;
  docker(): Dockerode;
  engineKind(): Promise<'docker' | 'podman'>;
  /** The result of an earlier step that is done. */
  result(stepId: string): Record<string, unknown> | undefined;
  /** Undo only: also remove the container's named volumes (their data). */
  removeVolumes?: boolean;
  /** Sets parameter values (the preflight's tensor-parallel size); the later steps are laid out again. */
  setParams(values: ParamValues): void;
}

export interface StepOutcome {
  state?: 'done' | 'skipped';
  result: Record<string, unknown>;
  /** One line for the custody event and the CLI. */
  summary: string;
}

export type StepFn = (env: StepEnv) => Promise<StepOutcome>;
