import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatBytes } from '../../shared/format';
import { FerryError } from '../../shared/errors';
import { walk } from '../bundle/walk';

/** Manifest, lock, recipe, index and file-system overhead on top of the artifacts' bytes. */
const SLACK = 1 << 20;

/** The output disk is (or would become) full. Names the folder and the space needed; the partial folder stays for a later run. */
export class DiskFullError extends FerryError {
  constructor(dir: string, needed: number, free: number | undefined, during: boolean) {
    super(
      `${during ? 'The disk holding' : 'Not enough space on the disk holding'} ${dir}${during ? ' is full' : ''}: the bundle needs ${formatBytes(needed)} more${free !== undefined ? `, ${formatBytes(free)} ${during ? 'is' : 'are'} free` : ''}`,
      `Free space there (or choose another --out), then run the same command again: what was already fetched and verified in ${dir} is kept and continued.`,
      'DiskFullError',
    );
  }
}

async function freeBytes(dir: string): Promise<number | undefined> {
  for (let d = dir; ; d = dirname(d)) {
    try {
      const s = await statfs(d);
      return s.bavail * s.bsize;
    } catch {
      if (dirname(d) === d) return undefined;
    }
  }
}

async function bytesIn(dir: string): Promise<number> {
  try {
    return (await walk(dir)).reduce((s, e) => s + e.size, 0);
  } catch {
    return 0;
  }
}

/** Bytes still to write into `partial` for a bundle of `total` bytes (what is there already counts). */
export async function stillNeeded(partial: string, total: number): Promise<number> {
  return Math.max(0, total - (await bytesIn(partial))) + SLACK;
}

/** Refuses before fetching anything when the output disk cannot hold what is still to be written. */
export async function checkSpace(partial: string, total: number): Promise<void> {
  const needed = await stillNeeded(partial, total);
  const free = await freeBytes(partial);
  if (free !== undefined && free < needed) throw new DiskFullError(partial, needed, free, false);
}

/** ENOSPC/EDQUOT while writing the bundle becomes a DiskFullError naming the folder and the space still needed. */
export async function diskFullError(err: unknown, partial: string, total: number): Promise<unknown> {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return err;
  return new DiskFullError(partial, await stillNeeded(partial, total), await freeBytes(partial), true);
}
