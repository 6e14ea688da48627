// Paired measurement for `npm run bench`: each row runs Ferry and its baseline alternately (one
// warm-up pair, then N pairs, alternating which side goes first), and reports the median of the
// per-pair ratios with their min–max, Ferry's median time and rate, and Ferry's peak RSS.

/** One timed run: wall seconds of the timed part only (set-up is outside it). */
export interface Timed {
  seconds: number;
  /** Ferry's own peak resident memory (VmHWM), when the run printed it. */
  peakRssMiB?: number;
  stdout: string;
}

/** One side of a row. `once(i)` prepares fresh state untimed, then times the work; i is -1 for the warm-up. */
export interface Side {
  label: string;
  once(i: number): Promise<Timed>;
}

export interface PairedRow {
  step: string;
  baselineLabel: string;
  ferry: Timed[];
  baseline: Timed[];
  /** Bytes the step moves, for Ferry's rate. */
  bytes?: number;
  /** A footnote for this row (e.g. the baseline could not drop the page cache). */
  note?: string;
}

/** A row that could not be measured here, with the reason. */
export interface NaRow {
  step: string;
  baselineLabel: string;
  na: string;
}

export type Row = PairedRow | NaRow;

export const PAIRS = Math.max(3, Number(process.env.FERRY_BENCH_PAIRS ?? 3));

export async function paired(step: string, ferry: Side, baseline: Side, opts: { bytes?: number; pairs?: number; note?: () => string | undefined } = {}): Promise<PairedRow> {
  const pairs = opts.pairs ?? PAIRS;
  const t0 = Date.now();
  process.stderr.write(`bench: ${step} (warm-up + ${pairs} pairs) `);
  await baseline.once(-1);
  await ferry.once(-1);
  const row: PairedRow = { step, baselineLabel: baseline.label, ferry: [], baseline: [], ...(opts.bytes !== undefined ? { bytes: opts.bytes } : {}) };
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) {
      row.baseline.push(await baseline.once(i));
      row.ferry.push(await ferry.once(i));
    } else {
      row.ferry.push(await ferry.once(i));
      row.baseline.push(await baseline.once(i));
    }
    process.stderr.write('.');
  }
  const note = opts.note?.();
  if (note) row.note = note;
  process.stderr.write(` ${ratioText(row)} [${((Date.now() - t0) / 1000).toFixed(1)} s]\n`);
  return row;
}

/** Runs the timed steps one after another; the wall time of all of them (Ferry's peak RSS is the max of its steps). */
export async function sequence(steps: (() => Promise<Timed>)[]): Promise<Timed> {
  const t0 = process.hrtime.bigint();
  let stdout = '';
  let peak: number | undefined;
  for (const s of steps) {
    const r = await s();
    stdout += r.stdout;
    if (r.peakRssMiB !== undefined) peak = Math.max(peak ?? 0, r.peakRssMiB);
  }
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, stdout, ...(peak !== undefined ? { peakRssMiB: peak } : {}) };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const MIB = 1 << 20;
const secs = (s: number): string => `${s.toFixed(2)} s`;
const ratios = (r: PairedRow): number[] => r.ferry.map((f, i) => f.seconds / r.baseline[i]!.seconds);

function ratioText(r: PairedRow): string {
  const xs = ratios(r);
  return `${median(xs).toFixed(2)}× (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
}

function cells(r: Row): string[] {
  if ('na' in r) return [r.step, 'n/a', r.baselineLabel, `n/a: ${r.na}`, ''];
  const t = median(r.ferry.map((f) => f.seconds));
  const rate = r.bytes ? `, ${(r.bytes / MIB / t).toFixed(0)} MiB/s` : '';
  const rss = r.ferry.map((f) => f.peakRssMiB).filter((x): x is number => x !== undefined);
  return [
    r.note ? `${r.step} (${r.note})` : r.step,
    `${secs(t)}${rate}`,
    `${r.baselineLabel} ${secs(median(r.baseline.map((b) => b.seconds)))}`,
    ratioText(r),
    rss.length ? `${Math.max(...rss).toFixed(0)} MiB` : '',
  ];
}

/** The rows as the README's Benchmark table (step | Ferry | baseline | ratio | Ferry peak RSS), ready to paste. */
export function markdownTable(rows: Row[], pairs = PAIRS): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  return [
    '| step | Ferry | baseline | ratio | Ferry peak RSS |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`),
    '',
    `Ferry: median time of ${pairs} runs and its rate; baseline: median of its ${pairs} runs; ratio: median of the ${pairs} paired ratios (Ferry ÷ baseline, run alternately after one warm-up pair) with their min–max; peak RSS: the largest over Ferry's runs.`,
  ].join('\n');
}
