import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanFileContent } from '../../src/main/scan/scan-file';
import { readZipDirectory } from '../../src/main/scan/zip-reader';
import { PickleBuilder, osSystemPickle, stackGlobalGetattrPickle, torchStateDict } from '../fixtures/scan/pickle-builder';
import { memFile } from '../fixtures/scan/mem-file';
import { buildZip, torchZip } from '../fixtures/scan/zip-builder';

const FIXTURES = join(__dirname, '../fixtures/scan');

const scan = async (data: Buffer, name = 'model.pt') => (await scanFileContent(memFile(data), name)).findings;
const fixture = (name: string) => scan(readFileSync(join(FIXTURES, name)), name);
const benignPkl = () => torchStateDict([{ key: 'w', storage: '0', numel: 6, shape: [2, 3] }]);
const summary = (fs: { rule: string; severity: string }[]) => fs.map((f) => `${f.severity} ${f.rule}`);
const aboveInfo = (fs: { severity: string }[]) => fs.filter((f) => f.severity !== 'info');

describe('pickle containers', () => {
  it('a real-shaped benign torch.save checkpoint (committed fixture) has nothing above info', async () => {
    const f = await fixture('benign-checkpoint.pt');
    expect(aboveInfo(f)).toEqual([]);
    expect(f).toMatchObject([{ rule: 'pickle.imports', detail: 'archive/data.pkl: collections.OrderedDict, torch.FloatStorage, torch._utils._rebuild_tensor_v2' }]);
  });

  it('a zip-packed checkpoint whose pickle calls os.system is dangerous (stored, deflated, zip64)', async () => {
    for (const opts of [{}, { deflate: true }, { zip64: true }, { deflate: true, zip64: true, prefix: 'my_model' }]) {
      const f = await scan(torchZip(osSystemPickle(), opts));
      expect(summary(f)).toEqual(['dangerous pickle.dangerous-import']);
      expect(f[0].detail).toMatch(/^(archive|my_model)\/data\.pkl: imports os\.system \(GLOBAL at offset 2\) and calls it \(REDUCE/);
    }
  });

  it('Python-made exploits: posix.system in a checkpoint, getattr/__import__ through STACK_GLOBAL', async () => {
    expect(summary(await fixture('posix-system-checkpoint.pt'))).toEqual(['dangerous pickle.dangerous-import', 'info pickle.imports']);
    const f = await fixture('getattr-protocol4.pkl');
    expect(f.filter((x) => x.severity === 'dangerous').map((x) => x.detail.split(' (')[0])).toEqual(['imports builtins.getattr', 'imports builtins.__import__']);
    expect(summary(await scan(torchZip(stackGlobalGetattrPickle())))).toEqual(['dangerous pickle.dangerous-import']);
  });

  it('a legacy (non-zip) checkpoint: five pickles then raw storages, nothing above info', async () => {
    const f = await fixture('legacy-checkpoint.bin');
    expect(aboveInfo(f)).toEqual([]);
    expect(f.map((x) => x.rule).sort()).toEqual(['pickle.imports', 'pickle.trailing-data']);
  });

  it('NumPy object arrays block (numpy.load(allow_pickle=False) refuses them) and their pickle is graded; plain arrays only have their header read', async () => {
    const obj = await fixture('object-array.npy');
    expect(summary(obj)).toEqual(expect.arrayContaining(['dangerous npy.object-array', 'dangerous pickle.unknown-import']));
    expect(obj.find((x) => x.rule === 'pickle.unknown-import')?.detail).toMatch(/imports numpy\.(_)?core\.multiarray\._reconstruct/);
    expect(summary(await fixture('evil-object-array.npy'))).toContain('dangerous pickle.dangerous-import');
    const plain = readFileSync(join(FIXTURES, 'float-array.npy'));
    const file = memFile(Buffer.concat([plain, Buffer.alloc(1 << 20)]));
    expect((await scanFileContent(file, 'a.npy')).findings).toMatchObject([{ rule: 'npy.trailing-data', severity: 'info' }]);
    expect(file.bytesRead).toBeLessThanOrEqual(1024 + (64 << 10)); // the head, then one chunk: the data is not read
    const npz = await fixture('evil-arrays.npz');
    expect(npz.find((x) => x.rule === 'pickle.dangerous-import')?.detail).toMatch(/^bad\.npy: imports posix\.system/);
  });

  it('keeps scanning past a truncated or garbage pickle and reports the parse error', async () => {
    const truncated = await scan(torchZip(osSystemPickle().subarray(0, 18)));
    expect(summary(truncated)).toEqual(['dangerous pickle.dangerous-import', 'dangerous pickle.parse-error']);
    const garbage = await scan(Buffer.from([0x80, 0x02, 0xff, 0x00, 0x01]), 'x.pkl');
    expect(garbage).toMatchObject([{ rule: 'pickle.parse-error', severity: 'dangerous', detail: 'offset 2: unknown opcode 0xff' }]);
    expect(await scan(Buffer.from('GGUF\x03\x00\x00\x00'), 'model.bin')).toMatchObject([{ rule: 'gguf.bad-header', severity: 'dangerous' }]);
    expect(await scan(Buffer.from('\x01\x02\x03\x04 not a model'), 'model.bin')).toMatchObject([{ rule: 'file.unrecognised', severity: 'info' }]);
  });

  it('treats zips as hostile: bad directories, CRC and size mismatches, encryption, duplicates', async () => {
    expect(await scan(Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(40)]))).toMatchObject([{ rule: 'zip.bad-archive', detail: 'no end-of-central-directory record' }]);
    const crc = await scan(buildZip([{ name: 'archive/data.pkl', data: benignPkl(), crc: 1234 }]));
    expect(summary(crc)).toContain('dangerous zip.member-problem');
    expect(crc.find((x) => x.rule === 'zip.member-problem')?.detail).toMatch(/CRC-32 mismatch/);
    const size = await scan(buildZip([{ name: 'archive/data.pkl', data: benignPkl(), deflate: true, uncompressedSize: 5 }]));
    expect(size.find((x) => x.rule === 'zip.member-problem')?.detail).toMatch(/more than the 5 bytes the directory says/);
    const bad = torchZip(osSystemPickle(), { deflate: true });
    bad.fill(0xff, 46, 66); // corrupt the deflate stream of data.pkl (30-byte local header + 16-byte name)
    expect(summary(await scan(bad))).toContain('dangerous zip.member-problem');
    const enc = await scan(buildZip([{ name: 'archive/data.pkl', data: benignPkl(), flags: 1 }]));
    expect(enc).toMatchObject([{ rule: 'zip.member-problem', detail: 'archive/data.pkl: general-purpose flags 0x801 say encrypted' }]);
    const method = await scan(buildZip([{ name: 'archive/data.pkl', data: benignPkl(), method: 14 }]));
    expect(method[0].detail).toMatch(/compression method 14/);
    const dup = await scan(buildZip([{ name: 'archive/data.pkl', data: benignPkl() }, { name: 'archive/data.pkl', data: osSystemPickle() }]));
    expect(summary(dup)).toEqual(expect.arrayContaining(['dangerous zip.duplicate-name', 'dangerous pickle.dangerous-import']));
    const cut = torchZip(osSystemPickle());
    expect((await scan(cut.subarray(0, cut.length - 30)))[0]).toMatchObject({ rule: 'zip.bad-archive' });
    // bytes prepended to a zip: its directory offsets no longer point at the directory
    const shifted = await scan(Buffer.concat([Buffer.from('PK\x03\x04junk'), buildZip([{ name: 'a/data.pkl', data: benignPkl() }])]));
    expect(shifted).toMatchObject([{ rule: 'zip.bad-archive', detail: 'central directory entry 0 is malformed' }]);
    // the local header names a different file than the directory (a classic scanner-evasion trick)
    const renamed = buildZip([{ name: 'a/data.pkl', data: osSystemPickle() }]);
    renamed.write('b', 30, 'latin1');
    expect(await scan(renamed)).toMatchObject([{ rule: 'zip.member-problem', severity: 'dangerous', detail: "a/data.pkl: local header names it 'b/data.pkl'" }]);
  });

  it('reads the zip directory from the end with bounded reads', async () => {
    const zip = torchZip(benignPkl(), { zip64: true });
    const file = memFile(zip);
    const dir = await readZipDirectory(file);
    expect(dir.zip64).toBe(true);
    expect(dir.entries.map((e) => e.name)).toEqual(['archive/data.pkl', 'archive/byteorder', 'archive/data/0', 'archive/data/1', 'archive/version']);
    expect(dir.entries[2]).toMatchObject({ compressedSize: 24, uncompressedSize: 24 });
  });

  it('a pickle disguised under another extension is still found by its magic', async () => {
    expect(summary(await scan(new PickleBuilder().proto(2).global('os', 'system').stop().bytes(), 'weights.bin'))).toEqual(['dangerous pickle.dangerous-import']);
  });
});
