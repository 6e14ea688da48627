import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { isoWithOffset } from '../core/clock';
import { FerryError, isAbortError } from '../../shared/errors';
import { clamav, type AntivirusResult, type AntivirusRunner } from './antivirus';
import { openFile, throwIfAborted, withReadCache, type FileOpener, type ReadableFile } from './file-source';
import { estimateGpuMemory } from './gpu-estimate';
import { MAX_MODEL_CARD_BYTES, parseModelCardLicence } from './model-card';
import type { WalkerLimits } from './pickle-walker';
import { finding } from './rules';
import { scanFileContent } from './scan-file';
import { finalizeReport } from './scan-report';
import type { Finding, Licence, ScanError, ScanReport } from './types';

export interface ScanOptions {
  signal?: AbortSignal;
  /** Defaults to ClamAV (clamdscan, else clamscan). */
  antivirus?: AntivirusRunner;
  /** How files are opened; tests wrap it to count the bytes read. */
  open?: FileOpener;
  limits?: Partial<WalkerLimits>;
  now?: () => Date;
}

interface Entry { rel: string; abs: string; size: number; kind: 'file' | 'symlink' | 'other' }

const MAX_ENTRIES = 1_000_000;
const MAX_CONFIG_BYTES = 1 << 20;

/**
 * Scans one file or a folder (recursively, symlinks not followed) for anything that could run code
 * when the model is loaded, malformed containers and malware, and gathers the licence, parameter
 * count and a GPU-memory estimate. Each file's type comes from its first bytes, never its name.
 * Safetensors files are read only up to the end of the header, PyTorch storages not at all.
 * Throws FerryError when the path itself cannot be scanned; unreadable files inside go to `errors`
 * (and block: what was not read is not known safe).
 */
export async function scanPath(path: string, opts: ScanOptions = {}): Promise<ScanReport> {
  const root = resolve(path);
  const open = opts.open ?? openFile;
  const st = await stat(root).catch((err: NodeJS.ErrnoException) => {
    throw new FerryError(`Cannot scan ${path}: ${err.code === 'ENOENT' ? 'no such file or folder' : err.message}`, 'Give the path of a model file or folder.');
  });
  const single = st.isFile();
  if (!single && !st.isDirectory()) throw new FerryError(`Cannot scan ${path}: not a file or folder`);
  const entries: Entry[] = single ? [{ rel: basename(root), abs: root, size: st.size, kind: 'file' }] : [];
  const errors: ScanError[] = [];
  if (!single) {
    try {
      await listTree(root, '', entries, errors);
    } catch (err) {
      throw new FerryError(`Cannot scan ${path}: ${(err as Error).message}`, 'Check that the folder is readable.');
    }
  }
  const av = runAntivirus(opts.antivirus ?? clamav(), root, opts.signal);
  const findings: Finding[] = [];
  const params: Record<string, number> = {};
  let weightsBytes = 0;
  let licence: Licence | undefined;
  let config: unknown;
  let files = 0;
  let bytes = 0;
  for (const e of entries) {
    throwIfAborted(opts.signal);
    if (e.kind !== 'file') {
      findings.push(finding(e.rel, e.kind === 'symlink' ? 'file.symlink' : 'file.special', e.kind === 'symlink' ? 'symbolic link, not followed' : 'not a regular file'));
      continue;
    }
    files++;
    bytes += e.size;
    const atRoot = !e.rel.includes('/');
    let f: ReadableFile | undefined;
    try {
      f = withReadCache(await open(e.abs));
      const r = await scanFileContent(f, e.rel, opts);
      findings.push(...r.findings);
      if (r.safetensors) {
        for (const [d, c] of Object.entries(r.safetensors.parameters)) params[d] = (params[d] ?? 0) + c;
        weightsBytes += Object.values(r.safetensors.weightBytes).reduce((a, b) => a + b, 0);
      }
      if (r.kind === 'data' && atRoot && e.rel.toLowerCase() === 'readme.md') licence = parseModelCardLicence((await f.read(0, MAX_MODEL_CARD_BYTES)).toString('utf8'), e.rel);
      else if (r.kind === 'data' && atRoot && e.rel === 'config.json' && !single) config = parseConfig(await f.read(0, MAX_CONFIG_BYTES), f.size);
    } catch (err) {
      if (isAbortError(err)) throw err;
      errors.push({ file: e.rel, detail: (err as Error).message });
    } finally {
      await f?.close();
    }
  }
  const antivirus = await av;
  throwIfAborted(opts.signal);
  for (const d of antivirus.detections) findings.push(finding(relativeTo(root, d.file, single), 'antivirus.found', `ClamAV signature ${d.signature}`));
  const total = Object.values(params).reduce((a, b) => a + b, 0);
  return finalizeReport({
    scannedAt: isoWithOffset(opts.now?.() ?? new Date()),
    files,
    bytes,
    findings,
    antivirus: {
      status: antivirus.status,
      ...(antivirus.engine ? { engine: antivirus.engine } : {}),
      ...(antivirus.signaturesDate ? { signaturesDate: antivirus.signaturesDate } : {}),
      ...(antivirus.reason || antivirus.detail ? { detail: antivirus.reason ?? antivirus.detail } : {}),
    },
    licence: licence ?? { id: 'unknown', source: 'no README.md model card' },
    ...(total > 0 ? { parameters: { total, byDtype: params } } : {}),
    ...(weightsBytes > 0 ? { gpuMemory: estimateGpuMemory({ weightsBytes, config }) } : {}),
    errors,
  });
}

async function listTree(root: string, rel: string, out: Entry[], errors: ScanError[]): Promise<void> {
  const dirents = await readdir(join(root, rel), { withFileTypes: true });
  dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of dirents) {
    if (out.length >= MAX_ENTRIES) throw new Error(`more than ${MAX_ENTRIES} entries`);
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) {
      await listTree(root, p, out, errors).catch((err: Error) => void errors.push({ file: p, detail: err.message }));
    } else if (d.isFile()) {
      const size = await lstat(join(root, p)).then((s) => s.size, (err: Error) => void errors.push({ file: p, detail: err.message }));
      if (size !== undefined) out.push({ rel: p, abs: join(root, p), size, kind: 'file' });
    } else out.push({ rel: p, abs: join(root, p), size: 0, kind: d.isSymbolicLink() ? 'symlink' : 'other' });
  }
}

async function runAntivirus(av: AntivirusRunner, root: string, signal?: AbortSignal): Promise<AntivirusResult> {
  try {
    return await av.scan([root], { signal });
  } catch (err) {
    if (isAbortError(err)) return { status: 'error', detail: 'canceled', detections: [] };
    return { status: 'error', detail: (err as Error).message, detections: [] };
  }
}

function parseConfig(b: Buffer, size: number): unknown {
  if (size > b.length) return undefined;
  try {
    return JSON.parse(b.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function relativeTo(root: string, file: string, single: boolean): string {
  if (single) return basename(root);
  const abs = resolve(file);
  return abs.startsWith(root + sep) ? abs.slice(root.length + 1).split(sep).join('/') : basename(abs);
}
