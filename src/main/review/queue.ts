import type { CustodyEvent } from '../../shared/api';
import type { QueueItem } from '../../shared/api-review';

/**
 * The reviewer queue, from the custody log itself: every bundle this station created (with the
 * directory it was written to), pending until an `approved` or `rejected` event names it.
 * `events` may come in any order; pending bundles come first, newest first within each group.
 */
export function reviewQueue(events: readonly CustodyEvent[]): QueueItem[] {
  const decided = new Map<string, CustodyEvent>();
  const created: CustodyEvent[] = [];
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    if (!e.bundleId) continue;
    if (e.type === 'created' && typeof e.details.dir === 'string') created.push(e);
    if (e.type === 'approved' || e.type === 'rejected') decided.set(e.bundleId, e);
  }
  // Newest first by the log's order, so bundles created in the same millisecond keep their order.
  const items = created.reverse().map((c): QueueItem => {
    const d = decided.get(c.bundleId!);
    return {
      bundleId: c.bundleId!,
      dir: c.details.dir as string,
      createdAt: c.at,
      createdBy: c.actor,
      bytes: typeof c.details.bytes === 'number' ? c.details.bytes : 0,
      status: d ? (d.type === 'approved' ? 'approved' : 'rejected') : 'pending',
      ...(d ? { decidedBy: d.actor, decidedAt: d.at } : {}),
    };
  });
  const rank = (i: QueueItem): number => (i.status === 'pending' ? 0 : 1);
  return items.sort((a, b) => rank(a) - rank(b) || newestFirst(a, b));
}

/** Newer `createdAt` first; equal times keep their order (Array.prototype.sort is stable). */
export const newestFirst = (a: { createdAt: string }, b: { createdAt: string }): number => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0);
