import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { scanCommand } from '../../src/main/cli/commands/scan';
import type { AntivirusRunner } from '../../src/main/scan/antivirus';
import { scanPath } from '../../src/main/scan/scan-path';
import type { ScanReport } from '../../src/main/scan/types';
import { osSystemPickle, PickleBuilder, stackGlobalGetattrPickle, torchStateDict } from '../fixtures/scan/pickle-builder';
import { buildSafetensors } from '../fixtures/scan/safetensors-builder';
import { buildZip, torchZip } from '../fixtures/scan/zip-builder';
import { tempDir } from '../harness/temp';

/**
 * Ferry's verdicts against the loaders' own safe modes, on real checkpoints written by Debian's
 * python3-torch and numpy (test/fixtures/scan/torch_checkpoints.py), and on hostile samples built
 * here: Ferry says clean exactly when torch.load(weights_only=True) / numpy.load(allow_pickle=False)
 * accepts the file.
 */
const PYTHON = process.env.FERRY_TEST_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const SCRIPT = join(__dirname, '../fixtures/scan/torch_checkpoints.py');
const t = tempDir('ferry-scan-torch-');
const real = join(t.path, 'real');
const evil = join(t.path, 'evil');
const noAntivirus: AntivirusRunner = { scan: async () => ({ status: 'not-run', reason: 'not part of this test', detections: [] }) };

interface Verdict { loader: 'torch' | 'numpy'; accepted: boolean; error?: string }
let oracle: Record<string, Verdict> = {};
let realFiles: string[] = [];

/**
 * Each hostile sample and the rule that must block it. `loaderReads` marks the few that torch.load
 * itself would read, and says why Ferry still blocks (another tool would read something else).
 */
const hostile: { name: string; data: () => Buffer; rule: string; loaderReads?: string }[] = [];
const add = (name: string, rule: string, data: () => Buffer, loaderReads?: string): void => void hostile.push({ name, rule, data, loaderReads });

const callGlobal = (module: string, name: string, arg = 'x'): Buffer =>
  new PickleBuilder().proto(2).global(module, name).binput(0).binUnicode(arg).tuple1().reduce().stop().bytes();
const stackGlobalCall = (module: string, name: string): Buffer =>
  new PickleBuilder().proto(4).shortUnicode(module).memoize().shortUnicode(name).memoize().stackGlobal().memoize().shortUnicode('x').tuple1().reduce().stop().bytes();

// The issue's examples: names outside the allow-list that run code, imported and called.
add('logging-filehandler.pt', 'pickle.dangerous-import', () => torchZip(callGlobal('logging', 'FileHandler', '/tmp/ferry-pwned')));
add('venv-create.pt', 'pickle.dangerous-import', () => torchZip(callGlobal('venv', 'create', '/tmp/ferry-venv')));
add('pydoc-pipepager.pt', 'pickle.dangerous-import', () => torchZip(callGlobal('pydoc', 'pipepager', 'id')));
add('inductor-compile-file.pt', 'pickle.dangerous-import', () => torchZip(callGlobal('torch._inductor.codecache', 'compile_file')));
add('idlelib-runcode.pt', 'pickle.dangerous-import', () => torchZip(stackGlobalCall('idlelib.pyshell', 'ModifiedInterpreter.runcode')));
// An unknown callable, and imports that are never called.
add('unknown-callable.pt', 'pickle.unknown-import', () => torchZip(callGlobal('mytools.hooks', 'on_load')));
add('unknown-not-called.pt', 'pickle.unknown-import', () =>
  torchZip(new PickleBuilder().proto(2).mark().global('antigravity', 'geohash').global('collections', 'OrderedDict').emptyTuple().reduce().tuple().stop().bytes()));
add('os-environ-not-called.pt', 'pickle.dangerous-import', () => torchZip(new PickleBuilder().proto(2).global('os', 'environ').stop().bytes()));
add('numpy-reconstruct.pt', 'pickle.unknown-import', () =>
  torchZip(new PickleBuilder().proto(2).global('numpy.core.multiarray', '_reconstruct').binput(0).emptyTuple().reduce().stop().bytes()));
// Memo tricks: a global stored in the memo and called later; a memo slot overwritten; names fetched for STACK_GLOBAL.
add('memo-binget-global.pt', 'pickle.dangerous-import', () =>
  torchZip(new PickleBuilder().proto(2).global('builtins', 'eval').binput(7).pop().mark().binget(7).binUnicode('1+1').tuple1().reduce().tuple().stop().bytes()));
add('memo-overwrite.pt', 'pickle.dangerous-import', () =>
  torchZip(new PickleBuilder().proto(2).global('collections', 'OrderedDict').binput(1).pop().global('posix', 'system').binput(1).pop().binget(1).binUnicode('id').tuple1().reduce().stop().bytes()));
add('memo-stack-global.pkl', 'pickle.dangerous-import', () => stackGlobalGetattrPickle());
add('extension-registry.pt', 'pickle.extension-code', () => torchZip(new PickleBuilder().proto(2).raw(0x82, 1).emptyTuple().reduce().stop().bytes()));
// Zip flag and size tricks on data.pkl.
const sd = (): Buffer => torchStateDict([{ key: 'w', storage: '0', numel: 6, shape: [2, 3] }]);
add('zip-encrypted-flag.pt', 'zip.member-problem', () => buildZip([{ name: 'archive/data.pkl', data: osSystemPickle(), flags: 1 }, { name: 'archive/version', data: Buffer.from('3\n') }]));
add('zip-local-size-mismatch.pt', 'zip.member-problem', () => {
  const z = torchZip(sd());
  z.writeUInt32LE(z.readUInt32LE(22) - 4, 22); // the first member (data.pkl): local header's uncompressed size
  return z;
}, 'miniz reads sizes from the central directory only; readers that trust local headers see other bytes');
add('zip-descriptor-trick.pt', 'zip.member-problem', () => buildZip([{ name: 'archive/data.pkl', data: sd(), flags: 0x8 }, { name: 'archive/data/0', data: Buffer.alloc(24) }]));
add('zip-directory-size-lie.pt', 'zip.member-problem', () => buildZip([{ name: 'archive/data.pkl', data: sd(), uncompressedSize: 10 }, { name: 'archive/data/0', data: Buffer.alloc(24) }]));
add('zip-pickle-any-name.pt', 'pickle.dangerous-import', () => buildZip([{ name: 'archive/data.pkl', data: sd() }, { name: 'archive/extra/notes.txt', data: osSystemPickle() }, { name: 'archive/data/0', data: Buffer.alloc(24) }]));
// Wrong names: content decides.
add('tokenizer.json', 'pickle.dangerous-import', () => torchZip(osSystemPickle()));
add('README.md', 'pickle.dangerous-import', () => Buffer.from("cposix\nsystem\n(S'echo pwned'\ntR.", 'latin1')); // protocol 0
add('weights.safetensors', 'safetensors.disguised-pickle', () => torchZip(sd()), 'a pickle archive named .safetensors defeats the reason safetensors was chosen');
// Nested and unopenable containers.
add('zip-in-zip.pt', 'archive.nested', () => buildZip([{ name: 'archive/data.pkl', data: sd() }, { name: 'archive/data/0', data: Buffer.alloc(24) }, { name: 'archive/inner.zip', data: torchZip(osSystemPickle()) }]));
add('pickle.pkl.gz', 'archive.unsupported', () => gzipSync(osSystemPickle()));
add('model.7z', 'archive.unsupported', () => Buffer.concat([Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]), Buffer.alloc(64, 1)]));
add('model.bin', 'archive.unsupported', () => gzipSync(torchZip(sd())));
// Truncation.
add('truncated-pickle.pkl', 'pickle.parse-error', () => sd().subarray(0, 60));
add('truncated-in-zip.pt', 'pickle.parse-error', () => torchZip(sd().subarray(0, sd().length - 20)));
add('truncated-zip.pt', 'zip.bad-archive', () => torchZip(sd()).subarray(0, 200));

beforeAll(() => {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import torch and numpy: this test needs Debian's python3-torch and python3-numpy ` +
        `(run scripts/install-system-deps.sh as root, or apt-get install -y python3-torch python3-numpy; set FERRY_TEST_PYTHON to use another interpreter).\n${probe.stderr}`,
    );
  }
  mkdirSync(real);
  mkdirSync(evil);
  realFiles = execFileSync(PYTHON, [SCRIPT, 'make', real], { encoding: 'utf8', cwd: t.path }).trim().split('\n');
  for (const h of hostile) writeFileSync(join(evil, h.name), h.data());
  execFileSync('tar', ['-cf', join(evil, 'checkpoint.tar'), '-C', real, 'state-float32.pt']); // legacy torch tar format, or any tar
  execFileSync('tar', ['-cf', join(t.path, 'pickle.tar'), '-C', evil, 'memo-stack-global.pkl']);
  writeFileSync(join(evil, 'pickle-in-tar.bin'), readFileSync(join(t.path, 'pickle.tar'))); // a tar under a model name
  const all = [...readdirSync(real).map((f) => join(real, f)), ...readdirSync(evil).map((f) => join(evil, f))];
  oracle = JSON.parse(execFileSync(PYTHON, [SCRIPT, 'oracle', ...all], { encoding: 'utf8', cwd: t.path, maxBuffer: 16 << 20 })) as Record<string, Verdict>;
}, 180_000);
afterAll(() => t.cleanup());

const scan = (path: string): Promise<ScanReport> => scanPath(path, { antivirus: noAntivirus });
const blockingRules = (r: ScanReport): string[] => [...new Set(r.findings.filter((f) => f.severity !== 'info').map((f) => f.rule))].sort();

describe('Ferry agrees with the loaders\' safe modes on real checkpoints', () => {
  it('generated every kind the issue names', () => {
    expect(realFiles).toEqual(expect.arrayContaining(['state-bfloat16.pt', 'optimizer-adam.pt', 'whole-module.pt', 'torchscript.pt', 'object.npy', 'arrays.npz', 'with-object.npz']));
    const accepted = realFiles.filter((f) => oracle[join(real, f)].accepted);
    expect(accepted.length).toBeGreaterThan(15);
    expect(realFiles.length - accepted.length).toBeGreaterThanOrEqual(7);
  });

  it('clean exactly when torch.load(weights_only=True) or numpy.load(allow_pickle=False) accepts', async () => {
    const disagreements: string[] = [];
    for (const f of realFiles) {
      const o = oracle[join(real, f)];
      const r = await scan(join(real, f));
      if (r.blocked === o.accepted) disagreements.push(`${f}: ${o.loader} ${o.accepted ? 'accepts' : `refuses (${o.error})`}, Ferry ${r.blocked ? `blocks: ${blockingRules(r).join(', ')} ${r.findings[0]?.detail}` : 'says clean'}`);
    }
    expect(disagreements).toEqual([]);
  });

  it('names why: a whole module by its classes, TorchScript with its code, object arrays by their pickle', async () => {
    const module = await scan(join(real, 'whole-module.pt'));
    expect(module.findings).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'pickle.unknown-import', detail: expect.stringMatching(/imports torch\.nn\.modules\.container\.Sequential \(GLOBAL at offset \d+\)/) })]));
    const ts = (await scan(join(real, 'torchscript.pt'))).findings.find((f) => f.rule === 'torchscript.code');
    expect(ts?.detail).toMatch(/def forward/);
    expect(blockingRules(await scan(join(real, 'object.npy')))).toContain('npy.object-array');
    expect(blockingRules(await scan(join(real, 'truncated.npy')))).toEqual(['npy.size-mismatch']);
    const readme = await scan(join(real, 'README'));
    expect(readme.blocked).toBe(true); // a pickled module named README: content decides
  });
});

describe('hostile samples block, for the reason of their rule', () => {
  it.each(hostile.map((h) => [h.name, h.rule, h.loaderReads]))('%s → %s', async (name, rule, loaderReads) => {
    const r = await scan(join(evil, name));
    expect(r.blocked, JSON.stringify(r.findings, null, 1)).toBe(true);
    expect(blockingRules(r)).toContain(rule);
    const o = oracle[join(evil, name)];
    expect(o.accepted, `${name}: ${o.loader}'s safe mode ${o.accepted ? 'reads' : 'refuses'} it (${o.error ?? loaderReads})`).toBe(!!loaderReads);
  });

  it('says which global is imported, where, and whether it is called', async () => {
    const [called] = (await scan(join(evil, 'logging-filehandler.pt'))).findings;
    expect(called.detail).toMatch(/^archive\/data\.pkl: imports logging\.FileHandler \(GLOBAL at offset 2\) and calls it \(REDUCE at offset \d+\)/);
    const quiet = (await scan(join(evil, 'unknown-not-called.pt'))).findings.find((f) => f.rule === 'pickle.unknown-import');
    expect(quiet?.detail).toMatch(/imports antigravity\.geohash \(GLOBAL at offset 3\), not called/);
    const dotted = (await scan(join(evil, 'idlelib-runcode.pt'))).findings[0];
    expect(dotted.detail).toMatch(/imports idlelib\.pyshell\.ModifiedInterpreter\.runcode \(STACK_GLOBAL/);
  });

  it('a tar (legacy torch.save format, or any tar, whatever its name) is an archive the scanner does not open', async () => {
    for (const name of ['checkpoint.tar', 'pickle-in-tar.bin']) {
      expect(blockingRules(await scan(join(evil, name))), name).toEqual(['archive.unsupported']);
      expect(oracle[join(evil, name)].accepted, name).toBe(false);
    }
  });
});

describe('ferry scan exit codes', () => {
  let out = '';
  const run = (...args: string[]) => scanCommand().exitOverride().parseAsync(args, { from: 'user' });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });
  const capture = (): void => {
    out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  };

  it('exits 1 for a truncated safetensors file, 0 for a real state dict', async () => {
    const whole = buildSafetensors([{ name: 'w', dtype: 'F32', shape: [64, 64] }]);
    const file = join(t.path, 'truncated.safetensors');
    writeFileSync(file, whole.subarray(0, whole.length - 1000));
    capture();
    await run(file, '--json');
    expect(process.exitCode).toBe(1);
    expect((JSON.parse(out) as ScanReport).findings.map((f) => f.rule)).toContain('safetensors.out-of-bounds');
    process.exitCode = undefined;
    capture();
    await run(join(real, 'state-float32.pt'));
    expect(process.exitCode ?? 0).toBe(0);
    expect(out).toMatch(/^OK: nothing in .* could run code when loaded/);
    expect(readFileSync(join(real, 'state-float32.pt')).length).toBeGreaterThan(0);
  });
});
