import { extname } from 'node:path';
import { readRange, type ReadableFile } from './file-source';
import { detectFile, type Detected } from './file-type';
import { scanGguf } from './gguf';
import { scanHdf5 } from './keras';
import { PICKLE_EXTENSIONS, scanNpyStream, scanPickleFile, type PickleScanOptions } from './pickle-files';
import { finding } from './rules';
import { scanSafetensors, type SafetensorsResult } from './safetensors';
import type { Finding } from './types';
import { scanZip } from './zip-scan';

/** Extensions whose unrecognised content is worth a note (loaders would refuse it without running anything). */
const MODEL_EXTENSIONS = [...PICKLE_EXTENSIONS, '.gguf', '.h5', '.hdf5', '.keras', '.onnx'];

export interface FileScan {
  findings: Finding[];
  kind: Detected['kind'];
  /** For safetensors files: parameters and weight bytes for the report. */
  safetensors?: SafetensorsResult;
}

/**
 * Scans one file by its content (never its name): pickles, zip archives (PyTorch, TorchScript, npz,
 * Keras), .npy, safetensors, GGUF, HDF5; compressed files and other archives block unopened. The name
 * only adds scrutiny: a `.safetensors` file that is a pickle or zip is flagged as disguised, one with
 * an unreadable header as malformed. Files of kind 'data' produce no findings here.
 */
export async function scanFileContent(f: ReadableFile, rel: string, opts: PickleScanOptions = {}): Promise<FileScan> {
  const ext = extname(rel).toLowerCase();
  const d = await detectFile(f);
  const findings: Finding[] = [];
  const out: FileScan = { findings, kind: d.kind };
  if (ext === '.safetensors' && (d.kind === 'pickle' || d.kind === 'zip')) {
    findings.push(finding(rel, 'safetensors.disguised-pickle', `starts with ${d.kind} magic (${d.head.subarray(0, 4).toString('hex')}), not a safetensors header`));
  }
  switch (d.kind) {
    case 'safetensors':
      out.safetensors = await scanSafetensors(f, rel);
      findings.push(...out.safetensors.findings);
      break;
    case 'pickle': findings.push(...(await scanPickleFile(f, rel, opts))); break;
    case 'zip': findings.push(...(await scanZip(f, rel, opts))); break;
    case 'npy': await scanNpyStream(readRange(f, 0, f.size, opts.signal, 64 << 10), { file: rel }, opts, findings, f.size); break;
    case 'gguf': findings.push(...(await scanGguf(f, rel, opts.signal))); break;
    case 'hdf5': findings.push(...(await scanHdf5(f, rel, opts.signal))); break;
    case 'unsupported': findings.push(finding(rel, 'archive.unsupported', `${d.format} (from its first bytes ${d.head.subarray(0, 8).toString('hex')})`)); break;
    case 'data':
      if (ext === '.safetensors') findings.push(...(await scanSafetensors(f, rel)).findings);
      else if (MODEL_EXTENSIONS.includes(ext)) findings.push(finding(rel, 'file.unrecognised', `starts with bytes ${d.head.subarray(0, 8).toString('hex') || '(empty file)'}`));
      break;
  }
  return out;
}
