import { isAbortError } from '../../shared/errors';
import { readRange, type ReadableFile } from './file-source';
import { MAX_NPY_HEADER, NpyError, npyHeaderLength, parseNpyHeader } from './npy';
import { gradePickleScan, type PickleContext } from './pickle-report';
import { PickleWalker, type PickleScan, type WalkerLimits } from './pickle-walker';
import { finding } from './rules';
import type { Finding } from './types';

export { ZIP_MAGIC } from './file-type';

/** Extensions whose files loaders treat as pickles, zip-packed PyTorch checkpoints or NumPy arrays (used only to explain unrecognised content). */
export const PICKLE_EXTENSIONS = ['.bin', '.pt', '.pth', '.ckpt', '.pkl', '.pickle', '.npy', '.npz', '.joblib'];

export interface PickleScanOptions {
  signal?: AbortSignal;
  limits?: Partial<WalkerLimits>;
}

/** `torch.save(..., _use_new_zipfile_serialization=False)` starts with the pickled magic number 0x1950a86a20f9469cfc6c. */
const LEGACY_TORCH_MAGIC = Buffer.from('80028a0a6cfc9c46f9206aa850192e', 'hex');
const LEGACY_PICKLES = 5;

/** True when the first bytes are a protocol 2+ pickle (PROTO opcode), the form checkpoints use. */
export function hasPickleMagic(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5;
}

/**
 * Grades a file whose content is a pickle stream, as the loaders read it: pickle.load reads one pickle;
 * a legacy torch.save file (its first pickle is torch's magic number) is read as five pickles followed
 * by raw storage bytes. Those must be complete; further pickles are still checked for imports.
 */
export async function scanPickleFile(file: ReadableFile, rel: string, opts: PickleScanOptions = {}): Promise<Finding[]> {
  const head = await file.read(0, LEGACY_TORCH_MAGIC.length);
  const required = head.equals(LEGACY_TORCH_MAGIC) ? LEGACY_PICKLES : 1;
  return scanPickleStream(readRange(file, 0, file.size, opts.signal), { file: rel, requiredPickles: required }, opts, file.size);
}

/** Walks one pickle stream (a file or a zip member) and grades it; a source error after the partial result is rethrown. */
export async function scanPickleStream(chunks: AsyncIterable<Buffer>, ctx: PickleContext, opts: PickleScanOptions, totalSize?: number): Promise<Finding[]> {
  const required = ctx.requiredPickles ?? 1;
  // Later pickles are walked too (a loader may call pickle.load again): their imports are graded,
  // their parse errors are informational (raw storage bytes can look like a pickle).
  const { scan, error } = await walkStream(chunks, opts, totalSize);
  const out = gradePickleScan(scan, ctx);
  if (!scan.errors.some((e) => e.pickle < required) && scan.pickles < required && required > 1) {
    out.push(finding(ctx.file, 'pickle.parse-error', `${ctx.part ? `${ctx.part}: ` : ''}a legacy torch.save file holds ${required} pickles; this one ends after ${scan.pickles}`));
  }
  if (error) throw error;
  return out;
}

/** A .npy stream, judged as numpy.load(allow_pickle=False) would: header, dtype, complete data. Object arrays are walked as the pickle they are. */
export async function scanNpyStream(chunks: AsyncIterable<Buffer>, ctx: PickleContext, opts: PickleScanOptions, out: Finding[], knownSize?: number): Promise<void> {
  const at = ctx.part ? `${ctx.part}: ` : '';
  const it = chunks[Symbol.asyncIterator]();
  let acc = Buffer.alloc(0);
  let total: number | undefined;
  try {
    while (total === undefined || acc.length < total) {
      const r = await it.next();
      if (r.done) throw new NpyError('header truncated');
      acc = Buffer.concat([acc, r.value]);
      total ??= npyHeaderLength(acc);
      if (total !== undefined && total > MAX_NPY_HEADER) throw new NpyError(`header of ${total} bytes is larger than ${MAX_NPY_HEADER}`);
    }
    const header = parseNpyHeader(acc.subarray(0, total));
    if (header.hasObject) {
      out.push(finding(ctx.file, 'npy.object-array', `${at}dtype ${header.descr}: the array data is a pickle; numpy.load(allow_pickle=False) refuses it`));
      out.push(...(await scanPickleStream(prepend(acc.subarray(total), it), ctx, opts)));
      return;
    }
    let have = acc.length - total;
    if (knownSize !== undefined) have = knownSize - total; // a file: its size is enough, the data is not read
    else for (let r = await it.next(); !r.done; r = await it.next()) have += r.value.length;
    const need = header.dataBytes ?? 0;
    if (have < need) out.push(finding(ctx.file, 'npy.size-mismatch', `${at}dtype ${header.descr} needs ${need} bytes of data, the file holds ${have}`));
    else if (have > need) out.push(finding(ctx.file, 'npy.trailing-data', `${at}${have - need} bytes after the array data`));
  } catch (err) {
    if (!(err instanceof NpyError)) throw err;
    out.push(finding(ctx.file, 'npy.bad-header', `${at}${err.message}`));
  } finally {
    await it.return?.();
  }
}

async function* prepend(first: Buffer, it: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (first.length) yield first;
  for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
}

/** Feeds a stream to a walker until the walker is done; a source error is returned after the partial result. */
export async function walkStream(chunks: AsyncIterable<Buffer>, opts: PickleScanOptions, totalSize?: number): Promise<{ scan: PickleScan; error?: unknown }> {
  const walker = new PickleWalker(opts.limits, totalSize);
  try {
    for await (const c of chunks) {
      walker.push(c);
      if (walker.done) break;
    }
  } catch (err) {
    if (isAbortError(err)) throw err;
    return { scan: walker.end(), error: err };
  }
  return { scan: walker.end() };
}
