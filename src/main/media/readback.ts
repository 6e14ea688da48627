import { join } from 'node:path';
import { mapLimit } from '../core/concurrency';
import type { Progress } from '../jobs/progress';
import type { HashPool } from '../hash/hash-pool';
import { dropCache, hashFileInline } from './copy';
import { labelFileName, type LabelFile } from './label';

export interface ReadBack {
  ok: boolean;
  files: number;
  bytes: number;
  /** False when the page cache could not be dropped first (the read may then have come from memory). */
  cacheDropped: boolean;
  /** On-volume names of files whose bytes read back differ from what was written. */
  mismatches: string[];
}

const CONCURRENCY = 4;

/**
 * Drops each written (fsynced) file from the page cache, re-reads it from the medium and
 * compares size and sha256 with what was hashed while writing it.
 */
export async function readBackFiles(
  dir: string,
  entries: LabelFile[],
  opts: { pool?: HashPool; signal?: AbortSignal; progress: Progress; item: string; label: string },
): Promise<ReadBack> {
  const p = opts.progress;
  p.item(opts.item, opts.label, entries.reduce((a, e) => a + e.size, 0));
  const rb: ReadBack = { ok: true, files: 0, bytes: 0, cacheDropped: true, mismatches: [] };
  await mapLimit(entries, CONCURRENCY, async (entry) => {
    const file = join(dir, labelFileName(entry));
    if (!(await dropCache(file))) rb.cacheDropped = false;
    const o = { signal: opts.signal, onBytes: (k: number) => p.advance(k, opts.item) };
    const got = await (opts.pool ? opts.pool.hashFile(file, o) : hashFileInline(file, o)).catch((err: Error) => {
      if (opts.signal?.aborted) throw err;
      return { sha256: `unreadable: ${err.message}`, size: -1 };
    });
    rb.files++;
    rb.bytes += Math.max(0, got.size);
    if (got.sha256 !== entry.sha256 || got.size !== entry.size) rb.mismatches.push(labelFileName(entry));
  });
  rb.mismatches.sort();
  rb.ok = rb.mismatches.length === 0;
  p.itemState(opts.item, rb.ok ? 'done' : 'failed');
  return rb;
}
