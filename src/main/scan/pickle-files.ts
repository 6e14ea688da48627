import { isAbortError } from '../../shared/errors';
import { readRange, withReadCache, type ReadableFile } from './file-source';
import { MAX_NPY_HEADER, NPY_MAGIC, NpyError, npyHeaderLength, parseNpyHeader } from './npy';
import { gradePickleScan, type PickleContext } from './pickle-report';
import { printable } from './pickle-strings';
import { PickleWalker, type PickleScan, type WalkerLimits } from './pickle-walker';
import { finding } from './rules';
import type { Finding } from './types';
import { readZipDirectory, readZipMember, ZipError } from './zip-reader';

/** Extensions whose files are pickles, zip-packed PyTorch checkpoints, or NumPy arrays. */
export const PICKLE_EXTENSIONS = ['.bin', '.pt', '.pth', '.ckpt', '.pkl', '.pickle', '.npy', '.npz', '.joblib'];

export const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');

export interface PickleScanOptions {
  signal?: AbortSignal;
  limits?: Partial<WalkerLimits>;
}

/** True when the first bytes are a protocol 2+ pickle (PROTO opcode), the form checkpoints use. */
export function hasPickleMagic(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5;
}

/**
 * Finds and grades the pickles in one file, dispatching on content like torch.load and numpy.load do:
 * a zip (PyTorch checkpoint, .npz) → its `.pkl` and `.npy` members; a `.npy` → its body when the dtype
 * holds objects; anything else → the file itself as a pickle stream (legacy PyTorch: several pickles,
 * then raw data). `.bin` files that are neither pickle nor zip are reported as unknown, not parsed.
 */
export async function scanPickleFile(file: ReadableFile, rel: string, opts: PickleScanOptions = {}): Promise<Finding[]> {
  const head = await file.read(0, 8);
  if (head.subarray(0, 4).equals(ZIP_MAGIC)) return scanZip(file, rel, opts);
  if (head.subarray(0, 6).equals(NPY_MAGIC)) {
    const out: Finding[] = [];
    await scanNpy(readRange(file, 0, file.size, opts.signal, 64 << 10), { file: rel }, opts, out);
    return out;
  }
  if (rel.toLowerCase().endsWith('.bin') && !hasPickleMagic(head)) {
    return [finding(rel, 'pickle.unknown-format', `starts with bytes ${head.subarray(0, 4).toString('hex') || '(empty file)'}`)];
  }
  const { scan, error } = await walkStream(readRange(file, 0, file.size, opts.signal), opts, file.size);
  if (error) throw error;
  return gradePickleScan(scan, { file: rel, multiplePickles: true });
}

async function scanZip(raw: ReadableFile, rel: string, opts: PickleScanOptions): Promise<Finding[]> {
  const file = withReadCache(raw);
  let dir;
  try {
    dir = await readZipDirectory(file);
  } catch (err) {
    if (err instanceof ZipError) return [finding(rel, 'zip.bad-archive', err.message)];
    throw err;
  }
  const out: Finding[] = dir.problems.map((p) => finding(rel, 'zip.irregular', p));
  const seen = new Map<string, number>();
  for (const e of dir.entries) seen.set(e.name, (seen.get(e.name) ?? 0) + 1);
  for (const [name, n] of seen) if (n > 1) out.push(finding(rel, 'zip.duplicate-name', `${printable(name)} appears ${n} times`));
  for (const e of dir.entries) {
    const lower = e.name.toLowerCase();
    const isNpy = lower.endsWith('.npy');
    if (!lower.endsWith('.pkl') && !isNpy) continue;
    const part = printable(e.name);
    const member = readZipMember(file, e, { signal: opts.signal, onProblem: (p) => out.push(finding(rel, 'zip.irregular', `${part}: ${printable(p, 400)}`)) });
    try {
      if (isNpy) await scanNpy(member, { file: rel, part }, opts, out);
      else {
        const { scan, error } = await walkStream(member, opts); // the declared size may lie: checked at the end
        if (!error || scan.bytes > 0) out.push(...gradePickleScan(scan, { file: rel, part }));
        if (error) throw error;
      }
    } catch (err) {
      if (err instanceof ZipError || isZlibError(err)) out.push(finding(rel, 'zip.member-problem', `${part}: ${(err as Error).message}`));
      else throw err;
    }
  }
  return out;
}

/** A .npy stream: reads the header; when the dtype holds Python objects, walks the rest as a pickle. Findings go to `out`. */
async function scanNpy(chunks: AsyncIterable<Buffer>, ctx: PickleContext, opts: PickleScanOptions, out: Finding[]): Promise<void> {
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
    if (!header.hasObject) return;
    const { scan, error } = await walkStream(prepend(acc.subarray(total), it), opts);
    out.push(finding(ctx.file, 'npy.object-array', `${at}dtype ${header.descr}: the array data is a pickle`), ...gradePickleScan(scan, ctx));
    if (error) throw error;
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

function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && code.startsWith('Z_');
}
