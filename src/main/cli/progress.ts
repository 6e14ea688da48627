import type { JobInfo } from '../../shared/api';
import { formatBytes, formatEta, formatRate } from '../../shared/format';

/** Renders job updates to stderr: one live line on a TTY, plain lines (at most every 2 s) otherwise. */
export class ProgressPrinter {
  private lastPlain = 0;
  private lastPhase = '';
  private live = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  update(j: JobInfo): void {
    const pct = j.bytesTotal > 0 ? ` ${((100 * j.bytesDone) / j.bytesTotal).toFixed(1)}%` : '';
    const sizes = j.bytesTotal > 0 ? ` ${formatBytes(j.bytesDone)} / ${formatBytes(j.bytesTotal)}${pct}` : '';
    const rate = j.rate > 0 ? ` ${formatRate(j.rate)}` : '';
    const eta = j.rate > 0 ? formatEta(j.bytesTotal - j.bytesDone, j.rate) : '';
    const line = `${j.phase}${sizes}${rate}${eta ? ` ETA ${eta}` : ''}`;
    if (this.out.isTTY) {
      const width = (this.out.columns ?? 100) - 1;
      this.out.write(`\r\x1b[K${line.slice(0, width)}`);
      this.live = true;
      return;
    }
    const now = Date.now();
    if (j.phase !== this.lastPhase || now - this.lastPlain >= 2000) {
      this.out.write(`${line}\n`);
      this.lastPlain = now;
      this.lastPhase = j.phase;
    }
  }

  done(): void {
    if (this.live) this.out.write('\r\x1b[K');
    this.live = false;
  }
}
