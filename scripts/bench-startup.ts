// Start-up rows of `npm run bench` (FERRY_BENCH_ONLY=startup runs only these): how long `ferry --version`
// and `ferry verify` of a tiny bundle take from the checkout and from an offline kit, each against
// `node -e 0` of the same Node.js, as the median of paired runs after a warm-up.
//   FERRY_BENCH_STARTUP_RUNS (default 11; 3 with FERRY_BENCH_QUICK=1)  paired runs per row (at least 3)
//   FERRY_BENCH_KIT_DIR                    use this kit instead of building one with `ferry kit build`
//                                          (a QUICK run builds none: its kit rows are n/a without this)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { snapshotBuild } from './lib/bench-run';

interface Cmd {
  file: string;
  args: string[];
}

interface Sample {
  /** Wall-clock seconds. */
  wall: number;
  /** User + system CPU seconds (from /usr/bin/time), when it is installed. */
  cpu?: number;
}

interface Row {
  step: string;
  ferry: Sample[];
  baselineName: string;
  baseline: Sample[];
}

const RUNS = Math.max(3, Number(process.env.FERRY_BENCH_STARTUP_RUNS ?? (process.env.FERRY_BENCH_QUICK === '1' ? 3 : 11)));

// CPU time tells start-up cost on a busy machine, where wall clock mostly measures the queue.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
let cpuFile = '';

/** One run; throws with its stderr when it fails. */
function timed(c: Cmd): Sample {
  const [file, args] = TIME ? [TIME, ['-o', cpuFile, '-f', '%U %S', c.file, ...c.args]] : [c.file, c.args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${c.file} ${c.args.join(' ')} exited ${r.status ?? r.signal}\n${r.stderr}`);
  const cpu = TIME ? readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number) : [];
  return cpu.length === 2 && cpu.every(Number.isFinite) ? { wall, cpu: cpu[0]! + cpu[1]! } : { wall };
}

/** One warm-up each, then RUNS pairs, alternating which goes first. */
function paired(step: string, ferry: Cmd, baselineName: string, baseline: Cmd): Row {
  timed(baseline);
  timed(ferry);
  const row: Row = { step, ferry: [], baselineName, baseline: [] };
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      row.baseline.push(timed(baseline));
      row.ferry.push(timed(ferry));
    } else {
      row.ferry.push(timed(ferry));
      row.baseline.push(timed(baseline));
    }
  }
  return row;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (s: number): string => `${(s * 1000).toFixed(0)} ms`;
const signed = (s: number): string => `${s < 0 ? '−' : '+'}${ms(Math.abs(s))}`;
const spread = (xs: number[]): string => `${ms(median(xs))} (${ms(Math.min(...xs))}–${ms(Math.max(...xs))})`;
const walls = (xs: Sample[]): number[] => xs.map((x) => x.wall);
const cpus = (xs: Sample[]): number[] | undefined => (xs.every((x) => x.cpu !== undefined) ? xs.map((x) => x.cpu!) : undefined);
const diff = (a: number[], b: number[]): string => signed(median(a.map((x, i) => x - b[i]!)));

/** A kit to time: FERRY_BENCH_KIT_DIR, else one built now into `tmp`; a reason when there is none. */
function kitDir(root: string, tmp: string): { dir: string } | { na: string } {
  if (process.env.FERRY_BENCH_KIT_DIR) return { dir: process.env.FERRY_BENCH_KIT_DIR };
  // Building a kit takes longer than the whole QUICK run may.
  if (process.env.FERRY_BENCH_QUICK === '1') return { na: 'not built in a QUICK run (FERRY_BENCH_KIT_DIR=DIR times an existing kit)' };
  const out = join(tmp, 'kit');
  const r = spawnSync(process.execPath, [join(root, 'bin/ferry.js'), 'kit', 'build', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(join(out, 'ferry'))) return { na: (r.stderr || r.stdout).trim().split('\n')[0] ?? `ferry kit build exited ${r.status}` };
  return { dir: out };
}

/**
 * Times the start-up rows; `tinyBundle` writes a small valid bundle into a folder. Returns the
 * table to print (a "kit: n/a" line when no kit could be had).
 */
export async function startupRows(root: string, tmp: string, tinyBundle: (dir: string) => Promise<unknown>): Promise<string> {
  cpuFile = join(tmp, 'cpu-time.txt');
  const bundle = join(tmp, 'tiny-bundle');
  await tinyBundle(bundle);
  const node: Cmd = { file: process.execPath, args: ['-e', '0'] };
  const app = snapshotBuild(root, join(tmp, 'checkout'));
  const ferry = (args: string[]): Cmd => ({ file: process.execPath, args: [join(app, 'bin/ferry.js'), ...args] });
  const rows = [
    paired('checkout: ferry --version', ferry(['--version']), `node ${process.version} -e 0`, node),
    paired('checkout: ferry verify (tiny bundle)', ferry(['verify', bundle, '--data-dir', join(tmp, 'data-checkout')]), `node ${process.version} -e 0`, node),
  ];
  const kit = kitDir(root, tmp);
  let note = '';
  if ('dir' in kit) {
    const kitNode: Cmd = { file: join(kit.dir, 'node/bin/node'), args: ['-e', '0'] };
    const kitNodeVersion = spawnSync(kitNode.file, ['--version'], { encoding: 'utf8' }).stdout.trim();
    const kitFerry = (args: string[]): Cmd => ({ file: join(kit.dir, 'ferry'), args });
    rows.push(
      paired('kit: ferry --version', kitFerry(['--version']), `kit node ${kitNodeVersion} -e 0`, kitNode),
      paired('kit: ferry verify (tiny bundle)', kitFerry(['verify', bundle, '--data-dir', join(tmp, 'data-kit')]), `kit node ${kitNodeVersion} -e 0`, kitNode),
    );
  } else {
    note = `kit: n/a (${kit.na})`;
  }
  const head = ['start-up', 'ferry wall median (min–max)', 'baseline', 'baseline wall median (min–max)', 'wall difference', 'ferry CPU', 'baseline CPU', 'CPU difference'];
  const cells = rows.map((r) => {
    const [fc, bc] = [cpus(r.ferry), cpus(r.baseline)];
    const cpu = fc && bc ? [spread(fc), spread(bc), diff(fc, bc)] : ['n/a', 'n/a', 'n/a'];
    return [r.step, spread(walls(r.ferry)), r.baselineName, spread(walls(r.baseline)), diff(walls(r.ferry), walls(r.baseline)), ...cpu];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), `${RUNS} paired runs per row after a warm-up; differences are medians of the pairs; CPU is user + system (/usr/bin/time)`, ...(note ? [note] : [])].join('\n');
}
