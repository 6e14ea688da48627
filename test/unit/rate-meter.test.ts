import { describe, expect, it } from 'vitest';
import { RateMeter } from '../../src/main/jobs/rate-meter';

describe('RateMeter', () => {
  it('gives the rate over the window when advanced on every tiny file (samples coalesced)', () => {
    let now = 0;
    const m = new RateMeter(5_000, () => now);
    expect(m.rate()).toBe(0);
    // 20 s at 1 ms per record, 1,000 bytes each: 1 MB/s.
    for (let t = 0; t <= 20_000; t++) {
      now = t;
      m.record(t * 1_000);
    }
    expect(m.rate()).toBeCloseTo(1_000_000, -3);
  });

  it('follows a change of pace within one window', () => {
    let now = 0;
    const m = new RateMeter(1_000, () => now);
    for (let t = 0; t <= 5_000; t += 10) {
      now = t;
      m.record(t * 100); // 100 kB/s
    }
    const at = 5_000 * 100;
    for (let t = 5_010; t <= 7_000; t += 10) {
      now = t;
      m.record(at + (t - 5_000) * 1_000); // then 1 MB/s
    }
    expect(m.rate()).toBeCloseTo(1_000_000, -4);
  });

  it('is 0 with a single sample or no time passed', () => {
    const m = new RateMeter(5_000, () => 42);
    m.record(10);
    expect(m.rate()).toBe(0);
    m.record(20);
    expect(m.rate()).toBe(0);
  });
});
