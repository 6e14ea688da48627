import { CanceledError } from '../../shared/errors';
import type { CustodyStore } from '../custody/custody-store';
import { DeliveryMismatchError } from './verifying-stream';

/** Where a delivery went, as custody's `imported` events name it. */
export type DeliveryInto = 'registry' | 'docker' | 'models' | 'ollama';

/** Why a delivery stopped, as recorded in custody (never file content). */
export interface DeliveryFailure {
  /** The bundle file (relative path) whose bytes did not match, when that was the cause. */
  file?: string;
  error: string;
  canceled?: true;
}

export interface DeliveryRecord {
  custody: CustodyStore;
  bundleId: string;
  into: DeliveryInto;
  /** Fields of the event besides `into` and the delivered list (registry, dir, installId…). */
  details?: Record<string, unknown>;
  /** The key the delivered list goes under (`images` or `models`). */
  listKey: 'images' | 'models';
  /** How one delivered item is shown in custody. */
  show?: (item: never) => unknown;
}

function failureOf(err: unknown): DeliveryFailure {
  if (err instanceof CanceledError) return { error: err.message, canceled: true };
  if (err instanceof DeliveryMismatchError) return { file: err.file, error: err.message };
  return { error: err instanceof Error ? err.message : String(err) };
}

/**
 * Runs one delivery and records it as one `imported` custody event: on success the items delivered;
 * on any failure exactly the items that had become visible before it, plus a `failed` detail (the
 * file, the error), and the error is thrown on. `run` appends each item to `done` as it becomes visible.
 */
export async function recordDelivery<T>(r: DeliveryRecord, run: (done: T[]) => Promise<unknown>): Promise<T[]> {
  const done: T[] = [];
  const show = (r.show ?? ((x: T) => x)) as (x: T) => unknown;
  const append = (failed?: DeliveryFailure): void => {
    r.custody.append({ type: 'imported', role: 'admin', bundleId: r.bundleId, details: { ...r.details, into: r.into, [r.listKey]: done.map(show), ...(failed ? { failed } : {}) } });
  };
  try {
    await run(done);
  } catch (err) {
    append(failureOf(err));
    throw err;
  }
  append();
  return done;
}
