import { describe, expect, it } from 'vitest';
import { PickleWalker, walkPickle } from '../../src/main/scan/pickle-walker';
import { gradePickleScan } from '../../src/main/scan/pickle-report';
import { PickleBuilder, osSystemPickle, stackGlobalGetattrPickle, torchStateDict } from '../fixtures/scan/pickle-builder';

const names = (b: Buffer) => walkPickle(b).imports.map((i) => `${i.module}.${i.name}`);
const benign = () =>
  torchStateDict([
    { key: 'layer.weight', storage: '0', numel: 6, shape: [2, 3] },
    { key: 'layer.bias', storage: '1', numel: 2, shape: [2] },
  ]);

describe('pickle walker', () => {
  it('walks a torch-shaped state dict: imports, persistent ids, calls, no errors', () => {
    const scan = walkPickle(benign());
    expect(scan.errors).toEqual([]);
    expect(scan.pickles).toBe(1);
    expect(scan.protocol).toBe(2);
    expect(scan.imports.map((i) => `${i.module}.${i.name}`).sort()).toEqual(['collections.OrderedDict', 'torch.FloatStorage', 'torch._utils._rebuild_tensor_v2']);
    const rebuild = scan.calls.find((c) => c.callee === 'torch._utils._rebuild_tensor_v2');
    expect(rebuild).toMatchObject({ opcode: 'REDUCE', count: 2 });
    expect(gradePickleScan(scan, { file: 'm.pt' }).filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('resolves GLOBAL and records the REDUCE that calls it', () => {
    const scan = walkPickle(osSystemPickle());
    expect(scan.imports).toMatchObject([{ module: 'os', name: 'system', opcode: 'GLOBAL', offset: 2 }]);
    expect(scan.calls).toMatchObject([{ opcode: 'REDUCE', callee: 'os.system' }]);
    const f = gradePickleScan(scan, { file: 'x.pkl' });
    expect(f[0]).toMatchObject({ rule: 'pickle.dangerous-import', severity: 'dangerous' });
    expect(f[0].detail).toMatch(/os\.system \(GLOBAL at offset 2\) and calls it \(REDUCE at offset \d+\)/);
  });

  it('resolves STACK_GLOBAL through memoized strings (MEMOIZE + BINGET)', () => {
    const scan = walkPickle(stackGlobalGetattrPickle());
    expect(scan.errors).toEqual([]);
    expect(scan.imports).toMatchObject([{ module: 'builtins', name: 'getattr', opcode: 'STACK_GLOBAL' }]);
    expect(gradePickleScan(scan, { file: 'x.pkl' })[0]).toMatchObject({ rule: 'pickle.dangerous-import', severity: 'dangerous' });
  });

  it('resolves names from every string opcode and memo form', () => {
    const b = new PickleBuilder()
      .proto(2)
      .binUnicode('posix').binput(3).unicode('system').put(7).pop().pop()
      .binget(3).get(7).stackGlobal()
      .string('subprocess').longBinput(70000).shortBinString('Popen').stackGlobal()
      .longBinget(70000).shortUnicode('call').stackGlobal()
      .inst('__builtin__', 'eval')
      .stop().bytes();
    expect(names(b)).toEqual(['posix.system', 'subprocess.Popen', 'subprocess.call', '__builtin__.eval']);
    const sev = gradePickleScan(walkPickle(b), { file: 'x' }).map((f) => `${f.rule}:${f.severity}`);
    expect(sev.filter((s) => s === 'pickle.dangerous-import:dangerous')).toHaveLength(4);
  });

  it('reports an unresolvable STACK_GLOBAL as dangerous', () => {
    const b = new PickleBuilder().proto(4).shortUnicode('os').emptyList().stackGlobal().emptyTuple().reduce().stop().bytes();
    const scan = walkPickle(b);
    expect(scan.unresolved).toHaveLength(1);
    expect(gradePickleScan(scan, { file: 'x' })[0]).toMatchObject({ rule: 'pickle.unresolved-global', severity: 'dangerous' });
    // bytes are not str for STACK_GLOBAL either, and a memo miss is unresolvable
    expect(walkPickle(new PickleBuilder().proto(4).shortBinBytes(Buffer.from('os')).shortUnicode('system').stackGlobal().stop().bytes()).unresolved).toHaveLength(1);
    const miss = walkPickle(new PickleBuilder().proto(4).binget(9).binget(8).stackGlobal().stop().bytes());
    expect(miss.unresolved).toHaveLength(1);
    expect(miss.errors.map((e) => e.detail)).toEqual([expect.stringMatching(/memo key 9/), expect.stringMatching(/memo key 8/)]);
  });

  it('keeps going past semantic errors and reports parse errors with offsets', () => {
    const b = new PickleBuilder().proto(2).pop().reduce().global('os', 'system').stop().bytes();
    const scan = walkPickle(b);
    expect(scan.errors.length).toBeGreaterThan(0);
    expect(scan.errors[0].detail).toMatch(/^offset 2: stack underflow/);
    expect(names(b)).toEqual(['os.system']);
  });

  it('stops at an unknown opcode or truncation, keeping what it found', () => {
    const unknown = walkPickle(new PickleBuilder().proto(2).global('os', 'system').raw(0xff).global('x', 'y').bytes());
    expect(unknown.imports).toHaveLength(1);
    expect(unknown.errors).toMatchObject([{ offset: 13, detail: 'offset 13: unknown opcode 0xff' }]);
    const truncated = walkPickle(osSystemPickle().subarray(0, 20));
    expect(truncated.imports).toHaveLength(1);
    expect(truncated.errors[0].detail).toMatch(/truncated/);
    const f = gradePickleScan(truncated, { file: 'x' });
    expect(f.map((x) => x.rule)).toEqual(['pickle.dangerous-import', 'pickle.parse-error']);
    expect(walkPickle(Buffer.alloc(0)).errors[0].detail).toMatch(/empty/);
  });

  it('bounds declared lengths by the bytes that remain, without allocating', () => {
    const huge = new PickleBuilder().proto(4).raw(0x8d, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0])).stop().bytes();
    expect(walkPickle(huge).errors[0].detail).toMatch(/BINUNICODE8 declares \d+ bytes but only 1 remain/);
    const neg = new PickleBuilder().proto(2).raw('T', Buffer.from([0xff, 0xff, 0xff, 0xff])).bytes();
    expect(walkPickle(neg).errors[0].detail).toMatch(/invalid length/);
    const line = walkPickle(Buffer.concat([Buffer.from('c'), Buffer.alloc(70_000, 0x41)]));
    expect(line.errors[0].detail).toMatch(/longer than/);
  });

  it('follows memo semantics: any key order, MEMOIZE after BINPUT, redefinition', () => {
    const sparse = new PickleBuilder().proto(4).shortUnicode('os').binput(7).shortUnicode('system').memoize().pop().pop().binget(7).binget(1).stackGlobal().stop().bytes();
    expect(names(sparse)).toEqual(['os.system']); // MEMOIZE stored at len(memo) = 1
    const redefined = new PickleBuilder().proto(4).shortUnicode('os').binput(0).emptyList().binput(0).pop().pop().binget(0).shortUnicode('system').stackGlobal().stop().bytes();
    const scan = walkPickle(redefined);
    expect(scan.unresolved).toHaveLength(1);
    expect(scan.errors).toEqual([]);
  });

  it('caps the stack and memo instead of growing without bound', () => {
    const b = new PickleBuilder().proto(4);
    for (let i = 0; i < 50; i++) b.shortUnicode(`s${i}`).memoize();
    b.shortUnicode('builtins').shortUnicode('exec').stackGlobal().stop();
    const scan = walkPickle(b.bytes(), { maxStack: 20, maxMemo: 10 });
    expect(scan.errors.map((e) => e.detail).join('\n')).toMatch(/memo larger than 10[\s\S]*stack deeper than 20/);
    expect(scan.imports).toMatchObject([{ module: 'builtins', name: 'exec' }]);
  });

  it('streams: the same result whatever the chunking, and large payloads are stepped over', () => {
    const big = Buffer.alloc(100_000, 0x61);
    const n = Buffer.alloc(4);
    n.writeUInt32LE(big.length);
    const b = Buffer.concat([new PickleBuilder().proto(3).raw('B', n, big).pop().bytes(), osSystemPickle().subarray(2)]);
    const whole = walkPickle(b);
    const w = new PickleWalker();
    for (let i = 0; i < b.length; i += 7) w.push(b.subarray(i, i + 7));
    const chunked = w.end();
    expect(chunked).toEqual(whole);
    expect(chunked.imports).toMatchObject([{ module: 'os', name: 'system' }]);
  });

  it('walks consecutive pickles (legacy torch files) and stops at raw data', () => {
    const legacy = Buffer.concat([new PickleBuilder().proto(2).raw(0x8a, 2, 0x6c, 0xfc).stop().bytes(), new PickleBuilder().proto(2).binint1(1001).stop().bytes(), benign(), Buffer.from([0x06, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3])]);
    const scan = walkPickle(legacy);
    expect(scan.pickles).toBe(3);
    expect(scan.trailingData).toBe(true);
    expect(scan.errors).toEqual([]);
  });

  it('stops at the byte cap and says so', () => {
    const scan = walkPickle(Buffer.concat([new PickleBuilder().proto(2).bytes(), Buffer.alloc(1000, 0x4e), osSystemPickle()]), { maxBytes: 500 });
    expect(scan.tooLarge).toBe(true);
    expect(scan.imports).toEqual([]);
    expect(gradePickleScan(scan, { file: 'x' }).map((f) => f.rule)).toContain('pickle.too-large');
  });
});
