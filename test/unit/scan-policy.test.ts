import { describe, expect, it } from 'vitest';
import { gradeImport, qualifiedName } from '../../src/main/scan/pickle-policy';

const grade = (full: string) => {
  const i = full.lastIndexOf('.');
  return gradeImport(full.slice(0, i), full.slice(i + 1)).severity;
};

describe('pickle import grading', () => {
  it('allows exactly PyTorch\'s weights_only allow-list: tensor, storage, dtype and container reconstructors', () => {
    for (const n of [
      'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter', 'torch._utils._rebuild_qtensor', 'torch._utils._rebuild_sparse_csr_tensor',
      'torch._tensor._rebuild_from_type_v2', 'torch.FloatStorage', 'torch.BFloat16Storage', 'torch.cuda.HalfStorage', 'torch.storage.UntypedStorage',
      'torch.storage.TypedStorage', 'torch.FloatTensor', 'torch.cuda.sparse.LongTensor', 'torch.Size', 'torch.Tensor', 'torch.device', 'torch.bfloat16',
      'torch.float8_e4m3fn', 'torch.uint16', 'torch.per_channel_affine', 'torch.serialization._get_layout', 'torch.nn.parameter.Parameter',
      'collections.OrderedDict', 'collections.Counter', '_codecs.encode', 'builtins.set', 'builtins.complex', 'builtins.bytearray', '__builtin__.set',
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

  it('blocks everything else as an unknown import, matching names exactly, NumPy included', () => {
    for (const n of [
      '__main__.MyModel', 'torch.nn.modules.linear.Linear', 'typesetting.x', 'ossify.y', 'pathlib.PosixPath', 'operator.itemgetter', 'copyreg._reconstructor',
      'numpy.core.multiarray._reconstruct', 'numpy.dtype', 'torch.UntypedStorageX', 'torch._utils._rebuild_evil', 'collections.OrderedDictX', 'torch.FloatStorage.x',
    ]) expect(gradeImport(n.slice(0, n.lastIndexOf('.')), n.slice(n.lastIndexOf('.') + 1)), n).toMatchObject({ severity: 'dangerous', why: expect.stringMatching(/allow-list|reconstruct|.+/) });
    expect(gradeImport('__main__', 'MyModel')).toEqual({ severity: 'dangerous', why: 'not on PyTorch\'s weights_only allow-list' });
  });

  it('explains the issue\'s examples as code execution, not just unknown', () => {
    for (const n of ['logging.FileHandler', 'venv.create', 'pydoc.pipepager', 'torch._inductor.codecache.compile_file', 'idlelib.pyshell.ModifiedInterpreter.runcode'])
      expect(gradeImport(n.slice(0, n.indexOf('.')), n.slice(n.indexOf('.') + 1)), n).toMatchObject({ severity: 'dangerous', known: true });
  });
});
