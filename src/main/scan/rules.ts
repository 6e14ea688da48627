import type { Finding, Severity } from './types';

interface Rule {
  severity: Severity;
  explanation: string;
}

/**
 * Every rule the scanners emit, with its severity and a plain-language explanation for reviewers.
 * Allow-list verdicts: 'info' is only for what cannot run code; everything else is 'dangerous' and
 * blocks the bundle until a reviewer records a signed, reasoned override (docs/scanner.md).
 */
export const RULES = {
  'pickle.dangerous-import': { severity: 'dangerous', explanation: 'Loading this file with pickle (torch.load, numpy.load with allow_pickle, joblib, pickle.load) would import a function that can run commands, open files or network connections, or load more code. A model checkpoint has no reason to do this; treat the file as an attack.' },
  'pickle.unknown-import': { severity: 'dangerous', explanation: 'The pickle imports a Python name that is not on PyTorch\'s weights_only allow-list (tensor, storage and container reconstructors). Importing a module runs its code, and calling the name runs more; a plain weights file never needs it. It may be a whole pickled model class or an attack: load it only with weights_only=True, or convert it to safetensors.' },
  'pickle.unresolved-global': { severity: 'dangerous', explanation: 'The pickle imports something whose name is computed in a way the scanner cannot follow (STACK_GLOBAL on values that are not plain strings). Benign checkpoints never need this; it is a known way to hide a dangerous import.' },
  'pickle.attribute-traversal': { severity: 'dangerous', explanation: 'The pickle reaches through Python internals (names such as __globals__, __builtins__ or __subclasses__) to find other functions. This is an escape technique, not something model weights need.' },
  'pickle.extension-code': { severity: 'dangerous', explanation: 'The pickle refers to objects through the copyreg extension registry (EXT1/EXT2/EXT4), which resolves to an import the scanner cannot see. Checkpoints do not use it.' },
  'pickle.unsupported-opcode': { severity: 'dangerous', explanation: 'The pickle uses an opcode whose meaning depends on the loading program (a text persistent id, out-of-band buffers) that PyTorch\'s weights_only loader refuses. The scanner cannot tell what it would load.' },
  'pickle.imports': { severity: 'info', explanation: 'Names this pickle imports; all are on PyTorch\'s weights_only allow-list of tensor, storage and container reconstructors.' },
  'pickle.parse-error': { severity: 'dangerous', explanation: 'The pickle stream is malformed or truncated at this point, so it cannot be read completely: the scanner cannot vouch for what a loader would do with it. Anything before the error was still checked.' },
  'pickle.trailing-data': { severity: 'info', explanation: 'Bytes after the pickle stream(s) are not a pickle. Legacy PyTorch files keep raw tensor data there, which loaders read as data, not as code.' },
  'pickle.too-large': { severity: 'dangerous', explanation: 'The pickle is larger than the scanner checks (512 MiB); the part beyond was not inspected.' },
  'pickle.record-limit': { severity: 'dangerous', explanation: 'The pickle has more distinct imports, calls or problems than the scanner records (10,000 of each); the rest were not graded. No checkpoint needs that many.' },
  'npy.object-array': { severity: 'dangerous', explanation: 'A NumPy array of Python objects is stored as a pickle; numpy.load(..., allow_pickle=False) refuses it, and allow_pickle=True would run the pickle. Its imports are listed separately.' },
  'npy.bad-header': { severity: 'dangerous', explanation: 'The NumPy file header is malformed, oversized or names a data type the scanner does not know; numpy.load may refuse it or read it differently.' },
  'npy.size-mismatch': { severity: 'dangerous', explanation: 'The NumPy array data is shorter than its shape and data type need (the file is truncated), so it cannot be read completely.' },
  'npy.trailing-data': { severity: 'info', explanation: 'Bytes after the NumPy array data; numpy.load ignores them.' },
  'zip.bad-archive': { severity: 'dangerous', explanation: 'The zip container (the PyTorch checkpoint format) is malformed, so its contents could not be checked. Loaders may read it differently from the scanner.' },
  'zip.member-problem': { severity: 'dangerous', explanation: 'A member of the zip container is damaged, encrypted, stored with an unsupported compression, or its headers, size or checksum disagree with the directory. PyTorch\'s loader would refuse it or read something else than the scanner checked.' },
  'zip.irregular': { severity: 'dangerous', explanation: 'The zip archive has bytes its directory does not account for, members that overlap, or headers that disagree with the directory. Different loaders may then read different content than the scanner checked.' },
  'zip.duplicate-name': { severity: 'dangerous', explanation: 'Two members of the zip archive have the same name (PyTorch\'s loader compares names without case); different tools may load different ones. Both were checked.' },
  'zip.not-torch': { severity: 'info', explanation: 'A zip archive that is not laid out as a PyTorch checkpoint (no <folder>/data.pkl); each member was still checked by its content.' },
  'archive.unsupported': { severity: 'dangerous', explanation: 'This is a compressed file or an archive format (gzip, bzip2, xz, zstd, 7z, rar, tar, …) that the scanner does not open, so what is inside was not checked. Unpack it and scan the files instead.' },
  'archive.nested': { severity: 'dangerous', explanation: 'An archive or compressed file inside an archive. The scanner does not unpack nested containers, so what is inside was not checked.' },
  'torchscript.code': { severity: 'dangerous', explanation: 'A TorchScript archive carries Python-like code (code/ members) that torch.jit.load compiles and runs. It is a program, not weights; the code is shown here for review.' },
  'keras.lambda': { severity: 'dangerous', explanation: 'The Keras model configuration holds a Lambda layer or a serialized Python function; loading the model runs that function\'s byte code.' },
  'keras.bad-config': { severity: 'dangerous', explanation: 'The Keras model configuration could not be read, so its layers could not be checked.' },
  'gguf.chat-template': { severity: 'info', explanation: 'The chat template stored in the GGUF file (a Jinja2 program the server runs on every request). Review it: it decides how prompts are built.' },
  'gguf.template-escape': { severity: 'dangerous', explanation: 'The GGUF chat template reaches Python object internals (__class__, __globals__, __subclasses__, mro, |attr(…)). That is the Jinja2 sandbox-escape technique for running code on the server, not something a chat template needs.' },
  'gguf.bad-header': { severity: 'dangerous', explanation: 'The GGUF header or metadata is malformed or truncated, so its contents (including the chat template) could not be checked.' },
  'safetensors.header': { severity: 'dangerous', explanation: 'The safetensors header is missing, too large, runs past the end of the file, is not UTF-8, or not a JSON object. Safetensors loaders will reject the file.' },
  'safetensors.duplicate-key': { severity: 'dangerous', explanation: 'A key appears twice in the safetensors header. Different parsers keep different copies, so what a reviewer sees may not be what the server loads.' },
  'safetensors.bad-entry': { severity: 'dangerous', explanation: 'A tensor entry in the header is malformed (dtype, shape or data_offsets missing or of the wrong type).' },
  'safetensors.unknown-dtype': { severity: 'info', explanation: 'A tensor uses a data type this scanner does not know (the safetensors format may have added it); its bytes cannot run code, but its size could not be checked against its shape.' },
  'safetensors.size-mismatch': { severity: 'dangerous', explanation: 'A tensor\'s byte range does not equal its data type size times the product of its shape. The file is corrupt or crafted.' },
  'safetensors.out-of-bounds': { severity: 'dangerous', explanation: 'A tensor\'s byte range runs past the end of the file. The file is truncated or crafted; loaders will fail or read the wrong bytes.' },
  'safetensors.overlap': { severity: 'dangerous', explanation: 'Two tensors share bytes. Safetensors forbids this; the file is crafted or corrupt.' },
  'safetensors.gap': { severity: 'dangerous', explanation: 'Some bytes of the data section belong to no tensor. The reference loader rejects such files; hidden bytes travel with the model unchecked.' },
  'safetensors.disguised-pickle': { severity: 'dangerous', explanation: 'A file named .safetensors is really a pickle or a zip (PyTorch) archive. Safetensors is chosen because it cannot run code; a disguised pickle defeats that and may be loaded by a fallback loader.' },
  'safetensors.metadata': { severity: 'info', explanation: 'Free-form metadata stored in the safetensors header (__metadata__).' },
  'safetensors.bad-metadata': { severity: 'dangerous', explanation: '__metadata__ must map strings to strings; this one does not.' },
  'hdf5.model-config': { severity: 'info', explanation: 'An HDF5 (Keras .h5) file: its model_config attribute was checked for Lambda layers; weights are data.' },
  'file.unrecognised': { severity: 'info', explanation: 'The file has a model-file extension, but its content is not a pickle, zip or other known model format; loaders would refuse it without running anything.' },
  'file.symlink': { severity: 'dangerous', explanation: 'A symbolic link in a model folder was not followed. Bundles must not contain links; they can point outside the model.' },
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

/** Whether a finding blocks: everything that is not informational (older reports may hold 'suspicious'). */
export function isBlocking(f: Pick<Finding, 'severity'>): boolean {
  return f.severity !== 'info';
}
