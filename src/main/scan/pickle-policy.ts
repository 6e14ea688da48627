import type { Severity } from './types';

/**
 * Grades one imported global (`module.name`, as find_class would resolve it).
 *
 * - dangerous: the name (or a prefix of it) is on DANGEROUS: code execution, processes, files,
 *   network, loading more code, or generic call/attribute gadgets; also any name walking through
 *   dunder internals (`__globals__`, `__builtins__`, …).
 * - info: exact match on the allow-list of tensor / storage / container reconstructors (and the
 *   copyreg object constructors, whose class argument is itself an import graded separately).
 * - suspicious: everything else.
 *
 * Decision — `_codecs.encode` is innocuous: NumPy arrays pickled with protocol 2 carry their bytes as
 * `_codecs.encode(text, 'latin1')`. It only converts data; the codec lookup can only import modules
 * of the standard `encodings` package, and turning its output into code needs another import, which
 * is graded on its own. (picklescan makes the same call.)
 */
export interface Grade {
  severity: Severity;
  /** Plain-language reason for reviewers. */
  why: string;
}

const PY2_MODULES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg', exceptions: 'builtins', cPickle: 'pickle', urllib2: 'urllib', httplib: 'http.client' };

/** Prefix (module, or module.name) → why it is dangerous. A prefix matches itself and anything below it. */
export const DANGEROUS: Record<string, string> = {
  os: 'runs operating-system commands and reads or writes files',
  posix: 'runs operating-system commands (os on Linux/macOS)',
  nt: 'runs operating-system commands (os on Windows)',
  subprocess: 'starts other programs',
  commands: 'runs shell commands (Python 2)',
  popen2: 'starts other programs (Python 2)',
  _posixsubprocess: 'starts other programs',
  pty: 'starts a shell on a pseudo-terminal',
  platform: 'platform.popen starts other programs',
  'builtins.eval': 'evaluates arbitrary Python code',
  'builtins.exec': 'runs arbitrary Python code',
  'builtins.execfile': 'runs a Python file',
  'builtins.compile': 'compiles arbitrary Python code',
  'builtins.getattr': 'reaches any attribute of any object, a building block for every pickle exploit',
  'builtins.setattr': 'changes attributes of any object',
  'builtins.delattr': 'deletes attributes of any object',
  'builtins.open': 'opens files for reading or writing',
  'builtins.file': 'opens files for reading or writing',
  'builtins.__import__': 'imports any module',
  'builtins.apply': 'calls any function',
  'builtins.breakpoint': 'starts a debugger',
  'builtins.input': 'reads the console',
  'builtins.globals': 'exposes the interpreter\'s globals',
  'builtins.locals': 'exposes the interpreter\'s locals',
  'builtins.vars': 'exposes any object\'s attributes',
  'builtins.reload': 'reloads modules',
  socket: 'opens network connections',
  ssl: 'opens network connections',
  http: 'makes network requests',
  urllib: 'makes network requests',
  requests: 'makes network requests',
  httpx: 'makes network requests',
  aiohttp: 'makes network requests',
  ftplib: 'makes network connections',
  smtplib: 'sends e-mail',
  telnetlib: 'makes network connections',
  webbrowser: 'opens a web browser on a URL',
  runpy: 'runs Python modules or files',
  code: 'runs an interactive interpreter or arbitrary code',
  codeop: 'compiles arbitrary code',
  pdb: 'starts a debugger that can run code',
  bdb: 'runs code under a debugger',
  timeit: 'runs arbitrary code strings',
  trace: 'runs arbitrary code',
  profile: 'runs arbitrary code strings',
  cProfile: 'runs arbitrary code strings',
  shutil: 'copies, moves or deletes files',
  'io.open': 'opens files',
  'io.open_code': 'opens files',
  'io.FileIO': 'opens files',
  '_io.open': 'opens files',
  '_io.FileIO': 'opens files',
  ctypes: 'calls native code and reads or writes memory',
  _ctypes: 'calls native code',
  cffi: 'calls native code',
  pickle: 'loads another pickle, hiding it from scanners',
  _pickle: 'loads another pickle, hiding it from scanners',
  dill: 'loads another pickle, hiding it from scanners',
  joblib: 'loads another pickle, hiding it from scanners',
  shelve: 'loads pickles from files',
  marshal: 'loads compiled Python code',
  types: 'creates functions and code objects',
  importlib: 'imports any module',
  pkgutil: 'imports modules',
  zipimport: 'imports code from archives',
  sys: 'changes the interpreter (modules, paths, hooks)',
  gc: 'reaches any live object',
  inspect: 'reaches any object and its code',
  asyncio: 'starts processes and network connections',
  multiprocessing: 'starts processes',
  threading: 'runs functions in threads',
  _thread: 'runs functions in threads',
  signal: 'installs signal handlers',
  pip: 'installs packages',
  setuptools: 'builds and installs packages',
  'functools.partial': 'binds any function to arguments, so a later call runs it',
  'functools.reduce': 'calls any function repeatedly',
  'operator.attrgetter': 'reaches any attribute of any object',
  'operator.methodcaller': 'calls any method of any object',
  'operator.call': 'calls any function',
  'torch.serialization.load': 'loads another pickle, hiding it from scanners',
  'torch.load': 'loads another pickle, hiding it from scanners',
  'torch.hub': 'downloads and runs code',
  'torch.jit.load': 'loads TorchScript code',
  'numpy.load': 'may load another pickle',
  'numpy.testing._private.utils.runstring': 'runs arbitrary code strings',
  'numpy.f2py': 'compiles and runs code',
  'numpy.distutils': 'runs build commands',
};

const ALLOWED = new Set([
  'torch.Size', 'torch.device', 'torch._tensor._rebuild_from_type_v2', 'torch.nn.parameter.Parameter',
  'torch.strided', 'torch.sparse_coo', 'torch.contiguous_format', 'torch.channels_last', 'torch.preserve_format',
  'collections.OrderedDict',
  'numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct', 'numpy.core.multiarray.scalar', 'numpy._core.multiarray.scalar',
  'numpy.dtype', 'numpy.ndarray', '_codecs.encode',
  'copyreg._reconstructor', 'copyreg.__newobj__', 'copyreg.__newobj_ex__',
  'builtins.set', 'builtins.frozenset', 'builtins.slice', 'builtins.complex', 'builtins.range', 'builtins.bytearray', 'builtins.bytes',
  'builtins.int', 'builtins.float', 'builtins.bool', 'builtins.str', 'builtins.list', 'builtins.tuple', 'builtins.dict', 'builtins.object',
]);

const ALLOWED_PATTERNS = [
  /^torch\._utils\._rebuild_[a-z0-9_]+$/, // _rebuild_tensor_v2, _rebuild_parameter, _rebuild_qtensor, …
  /^torch\.(storage\.)?[A-Za-z0-9]*Storage$/, // FloatStorage, BFloat16Storage, UntypedStorage, storage.TypedStorage …
  /^torch\.(bool|u?int(8|16|32|64)|int|long|short|half|float|double|bfloat16|float(16|32|64)|float8_e(4m3fn|5m2|4m3fnuz|5m2fnuz|8m0fnu)|cfloat|cdouble|chalf|complex(32|64|128)|q(u?int8|int32|uint4x2|uint2x4))$/, // dtypes
  /^numpy\.(bool_|u?int(8|16|32|64)|float(16|32|64)|complex(64|128)|longlong|ulonglong|intc|uintc|half|single|double)$/,
];

const TRAVERSAL = /(^|\.)(__[a-z_]+__|func_globals|f_globals|gi_frame|tb_frame)(\.|$)/;

/** `module.name` as find_class resolves it: Python 2 module names mapped, dotted names kept. */
export function qualifiedName(module: string, name: string): string {
  const top = module.split('.')[0];
  const mapped = PY2_MODULES[module] ?? (PY2_MODULES[top] ? PY2_MODULES[top] + module.slice(top.length) : module);
  return `${mapped}.${name}`;
}

export function gradeImport(module: string, name: string): Grade & { traversal?: boolean } {
  const full = qualifiedName(module, name);
  const dangerous = dangerousPrefix(full);
  if (dangerous) return { severity: 'dangerous', why: `${dangerous[0]} ${dangerous[1]}` };
  if (ALLOWED.has(full) || ALLOWED_PATTERNS.some((r) => r.test(full))) return { severity: 'info', why: 'known tensor, storage or container reconstructor' };
  if (TRAVERSAL.test(name)) return { severity: 'dangerous', why: 'walks through Python internals to reach other objects', traversal: true };
  return { severity: 'suspicious', why: 'not a known tensor, storage or container reconstructor' };
}

function dangerousPrefix(full: string): [string, string] | undefined {
  const parts = full.split('.');
  for (let i = parts.length; i > 0; i--) {
    const prefix = parts.slice(0, i).join('.');
    if (Object.hasOwn(DANGEROUS, prefix)) return [prefix, DANGEROUS[prefix]];
  }
  return undefined;
}
