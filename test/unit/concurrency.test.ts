import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../src/main/core/concurrency';

describe('mapLimit', () => {
  it('keeps at most `limit` in flight and returns results in order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('rejects with the first error only after in-flight work has settled, starting nothing new', async () => {
    const settled: number[] = [];
    const started: number[] = [];
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((r) => (releaseSlow = r));
    const run = mapLimit([0, 1, 2, 3], 2, async (i) => {
      started.push(i);
      if (i === 0) {
        await slowGate;
        settled.push(0);
        return 0;
      }
      throw new Error(`boom ${i}`);
    });
    let rejected = false;
    run.catch(() => (rejected = true));
    await new Promise((r) => setImmediate(r));
    expect(rejected).toBe(false); // item 0 is still writing
    releaseSlow();
    await expect(run).rejects.toThrow('boom 1');
    expect(settled).toEqual([0]);
    expect(started).toEqual([0, 1]);
  });
});
