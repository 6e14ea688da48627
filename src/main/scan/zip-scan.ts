import { isAbortError } from '../../shared/errors';
import { withReadCache, type ReadableFile } from './file-source';
import { detectKind, SNIFF_BYTES } from './file-type';
import { kerasConfigFindings } from './keras';
import { scanNpyStream, scanPickleStream, type PickleScanOptions } from './pickle-files';
import { printable } from './pickle-strings';
import { finding } from './rules';
import type { Finding } from './types';
import { checkZipMember, readZipDirectory, readZipMember, ZipError, type MemberSpan, type ZipEntry } from './zip-reader';

const MAX_CODE_SHOWN = 2048;
const MAX_KERAS_CONFIG = 16 << 20;

/**
 * A zip archive, read as PyTorch's loader (miniz behind PyTorchStreamReader) and numpy.load would read
 * it: the central directory decides what the members are; every member's local header must agree
 * with it. Members are judged by their content, whatever their names: pickles are walked, .npy
 * arrays checked, nested archives block. In a PyTorch archive (`<folder>/data.pkl`), the raw storages
 * under `<folder>/data/` are checked for consistent headers without reading their bytes; everything
 * else is read completely (size and CRC checked). TorchScript code and Keras Lambda layers block.
 */
export async function scanZip(raw: ReadableFile, rel: string, opts: PickleScanOptions = {}): Promise<Finding[]> {
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
  for (const e of dir.entries) seen.set(e.name.toLowerCase(), (seen.get(e.name.toLowerCase()) ?? 0) + 1);
  for (const [name, n] of seen) if (n > 1) out.push(finding(rel, 'zip.duplicate-name', `${printable(name)} appears ${n} times (names compared without case, as miniz does)`));

  const first = dir.entries[0]?.name ?? '';
  const folder = first.includes('/') ? first.slice(0, first.indexOf('/') + 1) : '';
  const names = new Set(dir.entries.map((e) => e.name.toLowerCase()));
  const torch = folder !== '' && names.has(`${folder}data.pkl`.toLowerCase());
  const torchScript = folder !== '' && (names.has(`${folder}constants.pkl`.toLowerCase()) || dir.entries.some((e) => e.name.startsWith(`${folder}code/`)));
  const keras = names.has('config.json') && (names.has('model.weights.h5') || names.has('metadata.json'));
  const npz = dir.entries.length > 0 && dir.entries.every((e) => e.name.toLowerCase().endsWith('.npy'));
  if (!torch && !torchScript && !keras && !npz && dir.entries.length) out.push(finding(rel, 'zip.not-torch', `${dir.entries.length} member(s); first ${printable(first, 120)}`));

  const spans: [MemberSpan, string][] = [];
  const code: string[] = [];
  for (const e of dir.entries) {
    const part = printable(e.name);
    try {
      spans.push([await checkZipMember(file, e), part]);
      if (e.name.endsWith('/') && e.uncompressedSize === 0) continue;
      if (torch && e.name.startsWith(`${folder}data/`)) continue; // raw storage bytes: torch reads them as data
      const isCode = torchScript && e.name.startsWith(`${folder}code/`) && !e.name.endsWith('.debug_pkl');
      await scanMember(file, e, rel, part, opts, out, {
        keep: isCode ? MAX_CODE_SHOWN : keras && e.name === 'config.json' ? MAX_KERAS_CONFIG : 0,
        onKept: (text) => (isCode ? code.push(`# ${part}\n${text}`) : out.push(...kerasConfigFindings(text, rel, part))),
      });
    } catch (err) {
      if (isAbortError(err)) throw err;
      if (err instanceof ZipError || isZlibError(err)) out.push(finding(rel, 'zip.member-problem', `${part}: ${(err as Error).message}`));
      else throw err;
    }
  }
  out.push(...overlaps(rel, spans));
  if (torchScript) {
    const shown = code.join('\n').slice(0, MAX_CODE_SHOWN);
    out.push(finding(rel, 'torchscript.code', `TorchScript archive ${printable(folder, 80)} (torch.jit.load compiles and runs its code)${shown ? `:\n${shown}` : ': no code/ members found, constants.pkl present'}`));
  }
  return out;
}

interface Keep {
  /** Keep the first `keep` bytes of the member as text (0: keep nothing). */
  keep: number;
  onKept: (text: string) => void;
}

/** Reads one member completely, dispatching on its first bytes. */
async function scanMember(file: ReadableFile, e: ZipEntry, rel: string, part: string, opts: PickleScanOptions, out: Finding[], keep: Keep): Promise<void> {
  const it = readZipMember(file, e, { signal: opts.signal })[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < Math.min(SNIFF_BYTES, e.uncompressedSize) && !ended) {
    const r = await it.next();
    if (r.done) ended = true;
    else head = Buffer.concat([head, r.value]);
  }
  const rest = (async function* () {
    if (head.length) yield head;
    if (!ended) for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  })();
  const kind = detectKind(head, e.uncompressedSize);
  const ctx = { file: rel, part };
  if (kind.kind === 'pickle') out.push(...(await scanPickleStream(rest, ctx, opts, e.uncompressedSize)));
  else if (kind.kind === 'npy') await scanNpyStream(rest, ctx, opts, out);
  else {
    if (kind.kind === 'zip' || kind.kind === 'unsupported' || kind.kind === 'gguf') {
      out.push(finding(rel, 'archive.nested', `${part}: ${kind.format ?? kind.kind} inside the archive`));
    }
    let kept = Buffer.alloc(0);
    for await (const c of rest) if (kept.length < keep.keep) kept = Buffer.concat([kept, c.subarray(0, keep.keep - kept.length)]);
    if (keep.keep) keep.onKept(kept.toString('utf8'));
  }
  // The rest (after a pickle's STOP, or what a closed reader left): read so that size and CRC are checked.
  if (!ended) for (let r = await it.next(); !r.done; r = await it.next());
}

function overlaps(rel: string, spans: [MemberSpan, string][]): Finding[] {
  const sorted = [...spans].sort((a, b) => a[0].header - b[0].header);
  const out: Finding[] = [];
  for (let i = 1; i < sorted.length && out.length < 20; i++) {
    const [prev, pn] = sorted[i - 1];
    const [cur, cn] = sorted[i];
    if (cur.header < prev.dataEnd) out.push(finding(rel, 'zip.irregular', `${cn} (local header at ${cur.header}) overlaps ${pn} (data up to ${prev.dataEnd})`));
  }
  return out;
}

function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && code.startsWith('Z_');
}
