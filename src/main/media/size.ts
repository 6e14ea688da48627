import { UsageError } from '../../shared/errors';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * Parses a media size: plain bytes, or a number with a unit. K/M/G/T (and KB/MB/GB/TB) are
 * decimal, as media makers count (`4.7G` DVD = 4 700 000 000 bytes); KiB/MiB/GiB/TiB are binary.
 */
export function parseSize(value: string, what = '--volume-size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const factor = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || factor === undefined) {
    throw new UsageError(`${what}: "${value}" is not a size.`, 'Give bytes or a number with a unit: 700M, 4.7G, 16GiB, 1T.');
  }
  const bytes = Math.floor(Number(m[1]) * factor);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`${what}: "${value}" must be a positive size below 8 PiB.`);
  return bytes;
}
