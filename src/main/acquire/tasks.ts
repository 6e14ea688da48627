import { CanceledError } from '../../shared/errors';
import type { Progress } from '../jobs/progress';
import type { RegistryPool } from './registry-pool';

/** What an acquisition did, for the summary: bytes from the network, from local sources, and kept from an earlier run. */
export interface AcquireStats {
  fetchedBytes: number;
  localBytes: number;
  reusedBytes: number;
  /** Resumed partial downloads (`.tmp` continued with Range). */
  resumedFiles: number;
}

/** Files that are not named by their hash (model files, local files), verified by an earlier run of the same lock. */
export interface VerifiedFiles {
  get(path: string): { sha256: string; size: number } | undefined;
  put(path: string, sha256: string, size: number): void;
  /** Persists what put() recorded. */
  flush?(): void;
}

export interface AcquireContext {
  /** The `<out>.partial` folder being filled. */
  dir: string;
  progress: Progress;
  /** Aborted on cancel, or when any task fails (the others stop, keeping their partials). */
  signal: AbortSignal;
  registries: RegistryPool;
  hubToken?: string;
  hfCache?: string;
  stats: AcquireStats;
  verified: VerifiedFiles;
}

export interface Task {
  itemId: string;
  run(): Promise<void>;
}

/** Accounts one transfer's bytes against its progress item and the stats, across retries. */
export class Meter {
  private reported = 0;
  private first = true;

  constructor(
    private readonly ctx: AcquireContext,
    private readonly itemId: string,
    private readonly local = false,
  ) {}

  /** A partial kept from before: counts as reused on the first attempt only. */
  readonly resumed = (have: number): void => {
    this.ctx.progress.advance(have - this.reported, this.itemId);
    if (this.first && have > 0) {
      this.ctx.stats.reusedBytes += have;
      this.ctx.stats.resumedFiles++;
    }
    this.first = false;
    this.reported = have;
  };

  readonly bytes = (n: number): void => {
    this.ctx.progress.advance(n, this.itemId);
    this.reported += n;
    if (this.local) this.ctx.stats.localBytes += n;
    else this.ctx.stats.fetchedBytes += n;
  };

  /** The whole file was already there, verified. */
  reused(size: number): void {
    this.ctx.progress.advance(size - this.reported, this.itemId);
    this.reported = size;
    this.ctx.stats.reusedBytes += size;
  }
}

/**
 * Runs tasks with at most `limit` at once. The first failure aborts the others through
 * `controller` (their partial files stay for the next run) and is rethrown once all have stopped.
 */
export async function runTasks(tasks: readonly Task[], limit: number, controller: AbortController): Promise<void> {
  let next = 0;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (next < tasks.length && !controller.signal.aborted) {
      const t = tasks[next++]!;
      try {
        await t.run();
      } catch (err) {
        if (firstError === undefined) firstError = err;
        controller.abort(new CanceledError());
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  if (firstError !== undefined) throw firstError;
  if (controller.signal.aborted) throw new CanceledError();
}
