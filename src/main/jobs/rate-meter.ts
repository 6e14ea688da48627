/** Bytes per second over a sliding window of recent samples. */
export class RateMeter {
  private samples: { t: number; bytes: number }[] = [];

  constructor(
    private readonly windowMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Called on every advance (100,000 times for a bundle of tiny files): samples closer together than
   * a fiftieth of the window replace the newest one, so the list stays short and trimming it cheap.
   */
  record(totalBytes: number): void {
    const t = this.now();
    const n = this.samples.length;
    if (n >= 2 && t - this.samples[n - 2]!.t < this.windowMs / 50) this.samples[n - 1] = { t, bytes: totalBytes };
    else this.samples.push({ t, bytes: totalBytes });
    while (this.samples.length > 2 && t - this.samples[0]!.t > this.windowMs) this.samples.shift();
  }

  rate(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const dt = (last.t - first.t) / 1000;
    return dt > 0 ? (last.bytes - first.bytes) / dt : 0;
  }
}
