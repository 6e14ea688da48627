import { describe, expect, it } from 'vitest';
import type { CustodyEvent } from '../../src/shared/api';
import { reviewQueue } from '../../src/main/review/queue';

let seq = 0;
const ev = (type: string, bundleId: string, at: string, details: Record<string, unknown> = {}, actor = 'op'): CustodyEvent => ({
  seq: ++seq, eventId: `e${seq}`, bundleId, type, actor, role: 'operator', station: 's', at, details, prevHash: '0', hash: String(seq),
});

describe('reviewQueue', () => {
  it('lists created bundles, pending first and newest first, with the decision on decided ones', () => {
    const events = [
      ev('created', 'a', '2026-11-23T06:00:00+00:00', { dir: '/b/a', bytes: 10 }),
      ev('created', 'b', '2026-11-23T07:00:00+00:00', { dir: '/b/b', bytes: 20 }),
      ev('created', 'c', '2026-11-23T08:00:00+00:00', { dir: '/b/c', bytes: 30 }),
      ev('verified', 'c', '2026-11-23T08:01:00+00:00'),
      ev('approved', 'a', '2026-11-23T09:00:00+00:00', {}, 'rita'),
    ];
    const q = reviewQueue([...events].reverse());
    expect(q.map((i) => [i.bundleId, i.status])).toEqual([
      ['c', 'pending'],
      ['b', 'pending'],
      ['a', 'approved'],
    ]);
    expect(q[2]).toMatchObject({ dir: '/b/a', decidedBy: 'rita', bytes: 10 });
  });

  it('takes the latest decision and ignores bundles without a known directory', () => {
    const events = [
      ev('created', 'x', '2026-11-23T06:00:00+00:00', { dir: '/b/x' }),
      ev('rejected', 'x', '2026-11-23T06:10:00+00:00'),
      ev('approved', 'x', '2026-11-23T06:20:00+00:00'),
      ev('custody-imported', 'y', '2026-11-23T06:30:00+00:00'),
    ];
    expect(reviewQueue(events)).toEqual([expect.objectContaining({ bundleId: 'x', status: 'approved' })]);
  });
});
