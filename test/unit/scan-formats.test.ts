import { describe, expect, it } from 'vitest';
import { detectKind } from '../../src/main/scan/file-type';
import { parseNpyHeader } from '../../src/main/scan/npy';
import { scanFileContent } from '../../src/main/scan/scan-file';
import { memFile } from '../fixtures/scan/mem-file';
import { PickleBuilder, torchStateDict } from '../fixtures/scan/pickle-builder';
import { buildSafetensors } from '../fixtures/scan/safetensors-builder';
import { buildZip } from '../fixtures/scan/zip-builder';

const scan = async (data: Buffer, name: string) => (await scanFileContent(memFile(data), name)).findings;
const summary = (fs: { rule: string; severity: string }[]) => fs.map((f) => `${f.severity} ${f.rule}`);

/** A GGUF v3 file with string metadata only, then `tail` bytes. */
function gguf(kv: Record<string, string>, tail = Buffer.alloc(32)): Buffer {
  const parts = [Buffer.from('GGUF'), u32(3), u64(0), u64(Object.keys(kv).length)];
  for (const [k, v] of Object.entries(kv)) parts.push(str(k), u32(8), str(v));
  return Buffer.concat([...parts, tail]);
}
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
const str = (s: string) => { const b = Buffer.from(s, 'utf8'); return Buffer.concat([u64(b.length), b]); };

const npy = (header: string, data: Buffer = Buffer.alloc(0)): Buffer => {
  let h = header;
  while ((10 + h.length + 1) % 64) h += ' ';
  h += '\n';
  const len = Buffer.alloc(2);
  len.writeUInt16LE(h.length);
  return Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), len, Buffer.from(h, 'latin1'), data]);
};

describe('file types come from content, never names', () => {
  it('detects containers by magic bytes and protocol 0/1 pickles by what they do', () => {
    const at257 = Buffer.alloc(600);
    at257.write('ustar', 257, 'latin1');
    expect(detectKind(at257, 600)).toEqual({ kind: 'unsupported', format: 'tar' });
    expect(detectKind(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]), 6)).toEqual({ kind: 'unsupported', format: 'zstd' });
    expect(detectKind(Buffer.from('BZh91AY&SY'), 10)).toEqual({ kind: 'unsupported', format: 'bzip2' });
    expect(detectKind(Buffer.from('Rar!\x1a\x07\x01\x00', 'latin1'), 8)).toEqual({ kind: 'unsupported', format: 'rar' });
    expect(detectKind(Buffer.from("cos\nsystem\n(S'id'\ntR.", 'latin1'), 21).kind).toBe('pickle');
    expect(detectKind(Buffer.from('(dp0\nVa\np1\nI1\ns.', 'latin1'), 17).kind).toBe('pickle'); // protocol 0 dict, reaches STOP
    for (const text of ['# Model card\n', '{"a": 1}', 'compute:\n  dtype: bf16\n', 'hello world\n', 'I love it.\n', ''])
      expect(detectKind(Buffer.from(text), text.length).kind, text).toBe('data');
  });

  it('a protocol 0 exploit named README.md is scanned and blocks', async () => {
    const f = await scan(Buffer.from("cposix\nsystem\n(S'echo pwned'\ntR.", 'latin1'), 'README.md');
    expect(f[0]).toMatchObject({ rule: 'pickle.dangerous-import', detail: expect.stringMatching(/^imports posix\.system \(GLOBAL at offset 0\) and calls it \(REDUCE/) });
  });

  it('pickles after the first are still checked for imports; a legacy torch file must hold its five pickles', async () => {
    const benign = new PickleBuilder().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().stop().bytes();
    const second = new PickleBuilder().proto(2).global('posix', 'system').binUnicode('id').tuple1().reduce().stop().bytes();
    expect(summary(await scan(Buffer.concat([benign, second]), 'two.pkl'))).toEqual(['dangerous pickle.dangerous-import', 'info pickle.imports']);
    const magic = Buffer.from('80028a0a6cfc9c46f9206aa850192e', 'hex');
    expect(summary(await scan(Buffer.concat([magic, benign, Buffer.from('raw storage bytes')]), 'legacy.pt')).sort()).toEqual(['dangerous pickle.parse-error', 'info pickle.imports', 'info pickle.trailing-data']);
  });

  it('safetensors named .bin is checked as safetensors; a pickle named .safetensors is disguised', async () => {
    expect(await scan(buildSafetensors([{ name: 'w', dtype: 'F32', shape: [2] }]), 'weights.bin')).toEqual([]);
    const cut = buildSafetensors([{ name: 'w', dtype: 'F32', shape: [64] }]);
    expect(summary(await scan(cut.subarray(0, cut.length - 10), 'weights.bin'))).toEqual(['dangerous safetensors.out-of-bounds']);
    const f = await scan(new PickleBuilder().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().stop().bytes(), 'm.safetensors');
    expect(summary(f)).toEqual(['dangerous safetensors.disguised-pickle', 'info pickle.imports']);
  });
});

describe('NumPy: clean exactly when numpy.load(allow_pickle=False) would read it', () => {
  it('parses the header as a Python literal and sizes the data from dtype and shape', () => {
    expect(parseNpyHeader(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))).toMatchObject({ descr: '<f4', hasObject: false, dataBytes: 24 });
    expect(parseNpyHeader(npy("{'descr': [('x', '<f4'), ('y', '<i8', (2,))], 'fortran_order': False, 'shape': (3,), }"))).toMatchObject({ hasObject: false, dataBytes: 60 });
    expect(parseNpyHeader(npy("{'descr': '<U5', 'fortran_order': True, 'shape': (), }"))).toMatchObject({ dataBytes: 20 });
    expect(parseNpyHeader(npy("{'descr': [('a', '<f4'), ('o', '|O')], 'fortran_order': False, 'shape': (2,), }"))).toMatchObject({ hasObject: true });
    expect(() => parseNpyHeader(npy("{'descr': '<f4', 'shape': (2,), }"))).toThrow(/header keys/);
    expect(() => parseNpyHeader(npy("{'descr': 'weird', 'fortran_order': False, 'shape': (2,), }"))).toThrow(/not one the scanner knows/);
    expect(() => parseNpyHeader(npy("{'descr': __import__('os'), 'fortran_order': False, 'shape': (2,), }"))).toThrow(/not a Python literal/);
  });

  it('blocks object arrays, truncated data and bad headers; trailing bytes are information', async () => {
    const h = "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }";
    expect(await scan(npy(h, Buffer.alloc(16)), 'a.npy')).toEqual([]);
    expect(summary(await scan(npy(h, Buffer.alloc(12)), 'a.npy'))).toEqual(['dangerous npy.size-mismatch']);
    expect(summary(await scan(npy(h, Buffer.alloc(20)), 'a.npy'))).toEqual(['info npy.trailing-data']);
    expect(summary(await scan(npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new PickleBuilder().proto(3).emptyList().stop().bytes()), 'o.npy'))).toEqual(['dangerous npy.object-array']);
  });
});

describe('zip archives read as PyTorch\'s loader reads them', () => {
  const pkl = () => torchStateDict([{ key: 'w', storage: '0', numel: 6, shape: [2, 3] }]);

  it('flags members that overlap, and names compared without case', async () => {
    const z = buildZip([{ name: 'archive/data.pkl', data: pkl() }, { name: 'archive/DATA.pkl', data: pkl() }]);
    expect(summary(await scan(z, 'm.pt'))).toEqual(expect.arrayContaining(['dangerous zip.duplicate-name']));
    const a = buildZip([{ name: 'archive/data.pkl', data: pkl() }, { name: 'archive/data/0', data: Buffer.alloc(24) }]);
    const cdAt = a.readUInt32LE(a.length - 6);
    const second = a.indexOf(Buffer.from('PK\x01\x02', 'latin1'), cdAt + 4);
    a.writeUInt32LE(10, second + 42); // the second member's local header "starts" inside the first member's data
    expect(summary(await scan(a, 'm.pt'))).toContain('dangerous zip.member-problem');
  });

  it('TorchScript archives block and show their code', async () => {
    const code = 'def forward(self, x):\n  return torch.relu(x)\n';
    const f = await scan(buildZip([{ name: 'm/data.pkl', data: pkl() }, { name: 'm/code/__torch__.py', data: Buffer.from(code) }, { name: 'm/constants.pkl', data: new PickleBuilder().proto(2).emptyTuple().stop().bytes() }]), 'scripted.pt');
    const ts = f.find((x) => x.rule === 'torchscript.code');
    expect(ts).toMatchObject({ severity: 'dangerous' });
    expect(ts?.detail).toContain('# m/code/__torch__.py\ndef forward(self, x):');
  });

  it('Keras .keras archives with a Lambda layer block; plain ones are clean', async () => {
    const cfg = (layers: unknown[]) => Buffer.from(JSON.stringify({ class_name: 'Sequential', config: { layers } }));
    const dense = { class_name: 'Dense', config: { name: 'd', units: 2 } };
    const lambda = { class_name: 'Lambda', config: { name: 'evil', function: { class_name: '__lambda__', config: { code: '4wEAAAAAAAAA' } } } };
    const keras = (c: Buffer) => buildZip([{ name: 'metadata.json', data: Buffer.from('{}') }, { name: 'config.json', data: c }, { name: 'model.weights.h5', data: Buffer.from('\x89HDF\r\n\x1a\n', 'latin1') }]);
    expect(summary(await scan(keras(cfg([dense])), 'model.keras')).filter((s) => !s.startsWith('info'))).toEqual([]);
    const f = await scan(keras(cfg([dense, lambda])), 'model.zip');
    expect(f).toMatchObject([{ rule: 'keras.lambda', detail: expect.stringMatching(/^config\.json: Lambda layer 'evil' at \/config\/layers\[1\]/) }]);
  });
});

describe('HDF5 and GGUF', () => {
  it('an .h5 whose model_config holds a Lambda layer blocks', async () => {
    const head = Buffer.from('\x89HDF\r\n\x1a\n', 'latin1');
    const config = '{"class_name": "Functional", "config": {"layers": [{"class_name": "Lambda", "config": {"function": ["4wEAAAAA", null, null]}}]}}';
    expect(summary(await scan(Buffer.concat([head, Buffer.alloc(3000), Buffer.from(config), Buffer.alloc(100)]), 'model.h5'))).toEqual(['dangerous keras.lambda']);
    expect(summary(await scan(Buffer.concat([head, Buffer.from(config.replace('Lambda', 'Dense'))]), 'model.h5'))).toEqual(['info hdf5.model-config']);
  });

  it('shows the chat template, and blocks templates that reach Python internals', async () => {
    const ok = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}";
    const f = await scan(gguf({ 'general.name': 'tiny', 'tokenizer.chat_template': ok }), 'model.gguf');
    expect(f).toEqual([expect.objectContaining({ rule: 'gguf.chat-template', severity: 'info', detail: `tokenizer.chat_template:\n${ok}` })]);
    for (const evil of ["{{ ''.__class__.__mro__[1].__subclasses__() }}", "{{ cycler.__init__.__globals__.os.popen('id').read() }}", "{{ x|attr('\\x5f\\x5fclass\\x5f\\x5f') }}", '{{ self._TemplateReference__context }}'.replace('_TemplateReference__context', '__init__')]) {
      const g = await scan(gguf({ 'tokenizer.chat_template': evil }), 'model.gguf');
      expect(summary(g), evil).toContain('dangerous gguf.template-escape');
    }
    const truncated = gguf({ 'tokenizer.chat_template': ok }, Buffer.alloc(0)).subarray(0, 40);
    expect(summary(await scan(truncated, 'model.gguf'))).toEqual(['dangerous gguf.bad-header']);
  });
});
