import type { Severity } from './types';

/**
 * Grades one imported global (`module.name`, as find_class would resolve it) against PyTorch's own
 * `weights_only` allow-list (torch/_weights_only_unpickler.py, `_get_allowed_globals`, upstream main as
 * of 2025, a superset of torch 1.13's): tensor, storage, dtype and container reconstructors.
 *
 * - info: on the allow-list.
 * - dangerous, everything else. Names on DANGEROUS (code execution, processes, files, network, loading
 *   more code, call/attribute gadgets) say why; names walking through dunder internals are attribute
 *   traversal; any other name is an unknown import (importing a module runs its code; calling the name
 *   runs more), whether or not the pickle calls it.
 *
 * NumPy reconstructors are not on PyTorch's list (a checkpoint holding NumPy arrays needs
 * `add_safe_globals`), so they block here too.
 */
export interface Grade {
  severity: Severity;
  /** Plain-language reason for reviewers. */
  why: string;
  traversal?: boolean;
  /** On DANGEROUS (a known code-execution gadget), not merely unknown. */
  known?: boolean;
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
  'logging.FileHandler': 'creates or truncates files',
  'logging.handlers': 'opens files, sockets and e-mail connections',
  'logging.config': 'loads configuration that can import and run code, or listens on a socket',
  venv: 'creates environments and runs pip',
  ensurepip: 'installs packages',
  pydoc: 'pydoc.pipepager and pydoc.tempfilepager run shell commands',
  idlelib: 'runs code (idlelib.pyshell.ModifiedInterpreter.runcode)',
  distutils: 'runs build commands',
  'torch._inductor': 'compiles and loads native code',
  'torch.utils.cpp_extension': 'compiles and loads native code',
  'torch.jit': 'compiles and runs TorchScript code',
  'torch._dynamo': 'compiles and runs code',
  tempfile: 'creates files',
  builtins: 'a Python builtin outside the allow-list (eval, exec, getattr, open and friends live here)',
};

/** torch/_weights_only_unpickler.py `_get_allowed_globals()`: the fixed names. */
const ALLOWED = new Set([
  'collections.OrderedDict', 'collections.Counter', 'torch.nn.parameter.Parameter', 'torch.serialization._get_layout',
  'torch.Size', 'torch.Tensor', 'torch.device', '_codecs.encode', 'builtins.bytearray', 'builtins.set', 'builtins.complex',
  'torch.storage.TypedStorage', 'torch.storage.UntypedStorage',
  'torch.per_tensor_affine', 'torch.per_tensor_symmetric', 'torch.per_channel_affine', 'torch.per_channel_symmetric', 'torch.per_channel_affine_float_qparams',
  // _tensor_rebuild_functions(), and torch 1.13's _rebuild_sparse_csr_tensor
  ...['_rebuild_parameter', '_rebuild_parameter_with_state', '_rebuild_qtensor', '_rebuild_tensor', '_rebuild_tensor_v2', '_rebuild_tensor_v3',
    '_rebuild_sparse_tensor', '_rebuild_sparse_csr_tensor', '_rebuild_meta_tensor_no_storage', '_rebuild_wrapper_subclass',
    '_rebuild_device_tensor_from_numpy', '_rebuild_device_tensor_from_cpu_tensor'].map((f) => `torch._utils.${f}`),
  'torch._tensor._rebuild_from_type_v2',
]);

const ELEMENT = '(BFloat16|Bool|Byte|Char|ComplexDouble|ComplexFloat|Double|Float|Half|Int|Long|Short|QInt32|QInt8|QUInt2x4|QUInt4x2|QUInt8)';

/** The generated parts of the list: dtypes (`str(torch.float32)`), legacy tensor and storage classes. */
const ALLOWED_PATTERNS = [
  /^torch\.(bool|uint(1|2|3|4|5|6|7|8|16|32|64)|int(1|2|3|4|5|6|7|8|16|32|64)|float(16|32|64)|bfloat16|complex(32|64|128)|q(u?int8|int32|uint4x2|uint2x4)|float8_e(4m3fn|5m2|4m3fnuz|5m2fnuz|8m0fnu)|float4_e2m1fn_x2|bits(8|16|1x8|2x4|4x2))$/,
  new RegExp(`^torch\.(cuda\.)?${ELEMENT}Storage$`),
  /^torch\.(cuda\.)?(sparse\.)?(BFloat16|Bool|Byte|Char|Double|Float|Half|Int|Long|Short)Tensor$/,
];

/** Whether `module.name` (already mapped by qualifiedName) is on the weights_only allow-list. */
export function isAllowedGlobal(full: string): boolean {
  return ALLOWED.has(full) || ALLOWED_PATTERNS.some((r) => r.test(full));
}

const TRAVERSAL = /(^|\.)(__[a-z_]+__|func_globals|f_globals|gi_frame|tb_frame)(\.|$)/;

/** `module.name` as find_class resolves it: Python 2 module names mapped, dotted names kept. */
export function qualifiedName(module: string, name: string): string {
  const top = module.split('.')[0];
  const mapped = PY2_MODULES[module] ?? (PY2_MODULES[top] ? PY2_MODULES[top] + module.slice(top.length) : module);
  return `${mapped}.${name}`;
}

export function gradeImport(module: string, name: string): Grade {
  const full = qualifiedName(module, name);
  if (isAllowedGlobal(full)) return { severity: 'info', why: 'on PyTorch\'s weights_only allow-list' };
  const dangerous = dangerousPrefix(full);
  if (dangerous) return { severity: 'dangerous', why: `${dangerous[0]} ${dangerous[1]}`, known: true };
  if (TRAVERSAL.test(name)) return { severity: 'dangerous', why: 'walks through Python internals to reach other objects', traversal: true };
  return { severity: 'dangerous', why: 'not on PyTorch\'s weights_only allow-list' };
}

function dangerousPrefix(full: string): [string, string] | undefined {
  const parts = full.split('.');
  for (let i = parts.length; i > 0; i--) {
    const prefix = parts.slice(0, i).join('.');
    if (Object.hasOwn(DANGEROUS, prefix)) return [prefix, DANGEROUS[prefix]];
  }
  return undefined;
}
