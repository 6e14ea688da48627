import { join } from 'node:path';
import { mapLimit } from '../core/concurrency';
import type { Progress } from '../jobs/progress';
import type { FileHash, HashPool } from '../hash/hash-pool';
import { dropCache, hashFileInline } from './copy';
import { labelFileName, type LabelFile } from './label';

export interface ReadBack {
  ok: boolean;
  files: number;
  bytes: number;
  /** False when some file may have been read from memory: neither O_DIRECT nor dropping it from the page cache worked. */
  cacheDropped: boolean;
  /** On-volume names of files whose bytes read back differ from what was written. */
  mismatches: string[];
}

const CONCURRENCY = 4;

/**
 * Re-reads each written (fsynced) file from the medium and compares size and sha256 with what was
 * hashed while writing it, largest first over the hash pool's cores. The medium, not memory: with a
 * pool, files are read with O_DIRECT (large aligned reads around the page cache); where the
 * filesystem refuses O_DIRECT (or without a pool), each file is first dropped from the page cache
 * (posix_fadvise DONTNEED, see dropCache) and read the normal way.
 */
export async function readBackFiles(
  dir: string,
  entries: LabelFile[],
  opts: { pool?: HashPool; signal?: AbortSignal; progress: Progress; item: string; label: string },
): Promise<ReadBack> {
  const p = opts.progress;
  p.item(opts.item, opts.label, entries.reduce((a, e) => a + e.size, 0));
  const rb: ReadBack = { ok: true, files: 0, bytes: 0, cacheDropped: true, mismatches: [] };
  const pool = opts.pool;
  let direct: boolean | undefined = pool ? undefined : false; // learnt from the first file read
  const read = async (file: string, entry: LabelFile): Promise<FileHash> => {
    const o = { signal: opts.signal, size: entry.size, onBytes: (k: number) => p.advance(k, opts.item) };
    if (pool && direct !== false && entry.size > 0) {
      try {
        const got = await pool.hashFile(file, { ...o, direct: true });
        direct = true;
        return got;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENODIRECT') throw err;
        direct = false;
      }
    }
    if (!(await dropCache(file))) rb.cacheDropped = false;
    return pool ? pool.hashFile(file, o) : hashFileInline(file, o);
  };
  const largestFirst = [...entries].sort((a, b) => b.size - a.size);
  await mapLimit(largestFirst, CONCURRENCY, async (entry) => {
    const got = await read(join(dir, labelFileName(entry)), entry).catch((err: Error) => {
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
