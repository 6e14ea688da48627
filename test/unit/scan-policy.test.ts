import { describe, expect, it } from 'vitest';
import { gradeImport, qualifiedName } from '../../src/main/scan/pickle-policy';

const grade = (full: string) => {
  const i = full.lastIndexOf('.');
  return gradeImport(full.slice(0, i), full.slice(i + 1)).severity;
};

describe('pickle import grading', () => {
  it('allows the tensor, storage and container reconstructors real checkpoints use', () => {
    for (const n of [
      'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter', 'torch._utils._rebuild_qtensor', 'torch.FloatStorage', 'torch.BFloat16Storage',
      'torch.UntypedStorage', 'torch.Size', 'torch.device', 'torch.bfloat16', 'torch.float8_e4m3fn', 'collections.OrderedDict',
      'numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct', 'numpy.dtype', 'numpy.ndarray', 'numpy.float32',
      '_codecs.encode', 'builtins.set', 'builtins.frozenset', 'builtins.slice', 'builtins.complex', '__builtin__.set', 'copy_reg._reconstructor',
    ]) expect(grade(n), n).toBe('info');
  });

  it('grades the issue\'s code-execution list as dangerous, Python 2 names included', () => {
    for (const n of [
      'os.system', 'posix.system', 'nt.system', 'os.path.join', 'subprocess.Popen', 'builtins.eval', 'builtins.exec', 'builtins.compile', 'builtins.getattr',
      'builtins.open', 'builtins.__import__', 'builtins.apply', 'builtins.breakpoint', '__builtin__.eval', 'socket.create_connection', 'runpy._run_code',
      'pty.spawn', 'shutil.rmtree', 'ctypes.CDLL', 'pickle.loads', '_pickle.loads', 'cPickle.loads', 'functools.partial', 'operator.attrgetter',
      'operator.methodcaller', 'webbrowser.open', 'pip.main', 'pip._internal.main', 'torch.serialization.load', 'importlib.import_module', 'sys.modules',
      'code.InteractiveInterpreter', 'marshal.loads', 'types.FunctionType', 'asyncio.create_subprocess_shell', 'httplib.HTTPConnection', 'http.client.HTTPSConnection',
      'requests.get', 'urllib.request.urlopen', 'urllib2.urlopen', 'numpy.testing._private.utils.runstring',
    ]) expect(grade(n), n).toBe('dangerous');
  });

  it('resolves dotted names as find_class does with protocol 4 (torch + serialization.load)', () => {
    expect(gradeImport('torch', 'serialization.load').severity).toBe('dangerous');
    expect(gradeImport('builtins', 'getattr').severity).toBe('dangerous');
    expect(gradeImport('collections', 'OrderedDict.__init__.__globals__')).toMatchObject({ severity: 'dangerous', traversal: true });
    expect(gradeImport('torch', '_utils._rebuild_tensor_v2').severity).toBe('info');
    expect(qualifiedName('__builtin__', 'eval')).toBe('builtins.eval');
  });

  it('calls everything else suspicious, and does not match on name prefixes alone', () => {
    for (const n of ['__main__.MyModel', 'torch.nn.modules.linear.Linear', 'typesetting.x', 'ossify.y', 'pathlib.PosixPath', 'operator.itemgetter', 'copyreg.x'])
      expect(grade(n), n).toBe('suspicious');
  });
});
