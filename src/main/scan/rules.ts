import type { Finding, Severity } from './types';

interface Rule {
  severity: Severity;
  explanation: string;
}

/** Every rule the scanners emit, with its default severity and a plain-language explanation for reviewers. */
export const RULES = {
  'pickle.dangerous-import': { severity: 'dangerous', explanation: 'Loading this file with pickle (torch.load, numpy.load with allow_pickle, joblib, pickle.load) would import a function that can run commands, open files or network connections, or load more code. A model checkpoint has no reason to do this; treat the file as an attack.' },
  'pickle.unresolved-global': { severity: 'dangerous', explanation: 'The pickle imports something whose name is computed in a way the scanner cannot follow (STACK_GLOBAL on values that are not plain strings). Benign checkpoints never need this; it is a known way to hide a dangerous import.' },
  'pickle.attribute-traversal': { severity: 'dangerous', explanation: 'The pickle reaches through Python internals (names such as __globals__, __builtins__ or __subclasses__) to find other functions. This is an escape technique, not something model weights need.' },
  'pickle.suspicious-import': { severity: 'suspicious', explanation: 'The pickle imports a Python name that is not on the list of known tensor and container reconstructors. It may be harmless (for example a custom class saved with the whole model), but loading the file runs that code: check where it comes from before approving.' },
  'pickle.extension-code': { severity: 'suspicious', explanation: 'The pickle refers to objects through the copyreg extension registry (EXT1/EXT2/EXT4), which the scanner cannot resolve. Checkpoints do not use it.' },
  'pickle.imports': { severity: 'info', explanation: 'Names this pickle imports; all are known tensor, storage or container reconstructors that do not run other code.' },
  'pickle.parse-error': { severity: 'suspicious', explanation: 'The pickle stream is malformed or truncated at this point. Loaders would fail here, so the file may be corrupt, or built to confuse scanners; anything before the error was still checked.' },
  'pickle.trailing-data': { severity: 'info', explanation: 'Bytes after the pickle stream(s) are not a pickle. Legacy PyTorch files keep raw tensor data there, which loaders read as data, not as code.' },
  'pickle.too-large': { severity: 'suspicious', explanation: 'The pickle is larger than the scanner checks (512 MiB); the part beyond was not inspected.' },
  'pickle.record-limit': { severity: 'suspicious', explanation: 'The pickle has more distinct imports, calls or problems than the scanner records (10,000 of each); the rest were not graded. No checkpoint needs that many.' },
  'pickle.unknown-format': { severity: 'info', explanation: 'This file has a pickle-style extension but is neither a pickle nor a zip archive; it was not unpickled by the scanner and loaders would not unpickle it either.' },
  'npy.object-array': { severity: 'info', explanation: 'A NumPy array of Python objects is stored as a pickle; numpy.load(..., allow_pickle=True) would unpickle it. Its imports are listed separately.' },
  'npy.bad-header': { severity: 'suspicious', explanation: 'The NumPy file header is malformed or oversized.' },
  'zip.bad-archive': { severity: 'suspicious', explanation: 'The zip container (the PyTorch checkpoint format) is malformed, so its pickles could not be checked. Loaders may read it differently from the scanner.' },
  'zip.member-problem': { severity: 'suspicious', explanation: 'A pickle inside the zip container is damaged, encrypted, stored with an unsupported compression, or its size or checksum does not match the directory. It may have been altered after it was written.' },
  'zip.irregular': { severity: 'suspicious', explanation: 'The zip archive has bytes its directory does not account for, or headers that disagree with the directory. Different loaders may then read different content than the scanner checked.' },
  'zip.duplicate-name': { severity: 'suspicious', explanation: 'Two members of the zip archive have the same name; different tools may load different ones. Both were checked.' },
  'safetensors.header': { severity: 'suspicious', explanation: 'The safetensors header is missing, too large, not UTF-8, or not a JSON object. Safetensors loaders will reject the file.' },
  'safetensors.duplicate-key': { severity: 'suspicious', explanation: 'A key appears twice in the safetensors header. Different parsers keep different copies, so what a reviewer sees may not be what the server loads.' },
  'safetensors.bad-entry': { severity: 'suspicious', explanation: 'A tensor entry in the header is malformed (dtype, shape or data_offsets missing or of the wrong type).' },
  'safetensors.unknown-dtype': { severity: 'suspicious', explanation: 'A tensor uses a data type safetensors does not define.' },
  'safetensors.size-mismatch': { severity: 'suspicious', explanation: 'A tensor\'s byte range does not equal its data type size times the product of its shape. The file is corrupt or crafted.' },
  'safetensors.out-of-bounds': { severity: 'suspicious', explanation: 'A tensor\'s byte range runs past the end of the file. The file is truncated or crafted; loaders will fail or read the wrong bytes.' },
  'safetensors.overlap': { severity: 'suspicious', explanation: 'Two tensors share bytes. Safetensors forbids this; the file is crafted or corrupt.' },
  'safetensors.gap': { severity: 'info', explanation: 'Some bytes of the data section belong to no tensor. The reference loader rejects such files; the bytes are unused data that travel with the model.' },
  'safetensors.disguised-pickle': { severity: 'dangerous', explanation: 'A file named .safetensors is really a pickle or a zip (PyTorch) archive. Safetensors is chosen because it cannot run code; a disguised pickle defeats that and may be loaded by a fallback loader.' },
  'safetensors.metadata': { severity: 'info', explanation: 'Free-form metadata stored in the safetensors header (__metadata__).' },
  'safetensors.bad-metadata': { severity: 'suspicious', explanation: '__metadata__ must map strings to strings; this one does not.' },
  'file.symlink': { severity: 'suspicious', explanation: 'A symbolic link in a model folder was not followed. Bundles must not contain links; they can point outside the model.' },
  'file.special': { severity: 'info', explanation: 'A device, socket or pipe in the folder was skipped.' },
  'antivirus.found': { severity: 'dangerous', explanation: 'ClamAV matched a malware signature in this file.' },
  'scan.truncated': { severity: 'info', explanation: 'More findings were produced than the report keeps; the rest are summarised here.' },
} as const satisfies Record<string, Rule>;

export type RuleId = keyof typeof RULES;

const MAX_DETAIL = 2000;

export function finding(file: string, rule: RuleId, detail: string, severity: Severity = RULES[rule].severity): Finding {
  const d = detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL - 1)}…` : detail;
  return { file, rule, severity, detail: d, explanation: RULES[rule].explanation };
}
