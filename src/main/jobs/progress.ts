import type { JobItem } from '../../shared/api';

/** What long-running work uses to report progress and observe cancellation (a job's context, or a stand-in in tests). */
export interface Progress {
  readonly signal: AbortSignal;
  phase(name: string): void;
  /** Declare (or re-declare) an item and its size; the job total is the sum of items. */
  item(id: string, label: string, bytesTotal: number): void;
  itemState(id: string, state: JobItem['state']): void;
  /** Count new bytes, against an item when given. */
  advance(bytes: number, itemId?: string): void;
}
