import { closeSync, copyFileSync, ftruncateSync, mkdirSync, openSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AntivirusRunner } from '../../src/main/scan/antivirus';
import { scanPath } from '../../src/main/scan/scan-path';
import { formatScanReport } from '../../src/main/scan/scan-report';
import { ScanReportSchema } from '../../src/main/scan/scan-schema';
import { tempDir } from '../harness/temp';
import { countingOpener } from '../fixtures/scan/mem-file';
import { osSystemPickle } from '../fixtures/scan/pickle-builder';
import { buildSafetensors, headerBytes } from '../fixtures/scan/safetensors-builder';
import { torchZip } from '../fixtures/scan/zip-builder';

const FIXTURES = join(__dirname, '../fixtures/scan');
const t = tempDir('ferry-scan-');
afterAll(() => t.cleanup());
const notInstalled: AntivirusRunner = { scan: async () => ({ status: 'not-run', reason: 'ClamAV is not installed (apt-get install clamav)', detections: [] }) };

function modelDir(name: string, evil: boolean): string {
  const dir = join(t.path, name);
  mkdirSync(join(dir, 'extra'), { recursive: true });
  writeFileSync(join(dir, 'README.md'), '---\nlicense: apache-2.0\n---\n# Tiny\n');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, hidden_size: 64, max_position_embeddings: 4096 }));
  writeFileSync(join(dir, 'model.safetensors'), buildSafetensors([{ name: 'a', dtype: 'BF16', shape: [64, 64] }, { name: 'b', dtype: 'F32', shape: [64] }], { format: 'pt' }));
  copyFileSync(join(FIXTURES, 'benign-checkpoint.pt'), join(dir, 'pytorch_model.bin'));
  writeFileSync(join(dir, 'tokenizer.json'), '{}');
  if (evil) {
    writeFileSync(join(dir, 'extra', 'optimizer.pt'), torchZip(osSystemPickle(), { deflate: true }));
    symlinkSync('/etc/passwd', join(dir, 'extra', 'link'));
  }
  return dir;
}

describe('scanPath', () => {
  it('scans a clean model folder: licence, parameters, GPU estimate, antivirus not run, schema-valid', async () => {
    const dir = modelDir('clean', false);
    const counter = countingOpener();
    const r = await scanPath(dir, { antivirus: notInstalled, open: counter.open });
    expect(ScanReportSchema.parse(r)).toEqual(r);
    expect(r.blocked).toBe(false);
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r).toMatchObject({ files: 5, errors: [], licence: { id: 'apache-2.0', source: 'README.md front matter' } });
    expect(r.antivirus).toEqual({ status: 'not-run', detail: 'ClamAV is not installed (apt-get install clamav)' });
    expect(r.parameters).toEqual({ total: 64 * 64 + 64, byDtype: { BF16: 4096, F32: 64 } });
    expect(r.gpuMemory).toMatchObject({ weightsBytes: 8192 + 256, kvCacheBytes: 2 * 2 * 2 * 16 * 4096 * 2 });
    expect(r.findings.map((f) => `${f.file} ${f.rule}`).sort()).toEqual(['model.safetensors safetensors.metadata', 'pytorch_model.bin pickle.imports']);
    // each file read at most once (its head is kept for the scanners); tokenizer.json only sniffed
    for (const [p, n] of counter.bytesRead) expect(n, p).toBeLessThanOrEqual(statSync(p).size);
    expect(counter.bytesRead.get(join(dir, 'tokenizer.json'))).toBe(statSync(join(dir, 'tokenizer.json')).size);
  });

  it('blocks a folder holding a zip-packed checkpoint that calls os.system; links are not followed', async () => {
    const dir = modelDir('evil', true);
    const r = await scanPath(dir, { antivirus: notInstalled });
    expect(ScanReportSchema.parse(r).blocked).toBe(true);
    const evil = r.findings.find((f) => f.file === 'extra/optimizer.pt');
    expect(evil).toMatchObject({ rule: 'pickle.dangerous-import', severity: 'dangerous' });
    expect(evil?.detail).toMatch(/^archive\/data\.pkl: imports os\.system/);
    expect(r.findings.find((f) => f.rule === 'file.symlink')).toMatchObject({ file: 'extra/link', severity: 'dangerous' });
    const text = formatScanReport(r, dir);
    expect(text).toMatch(/^BLOCKED: 2 blocking finding\(s\)/);
    expect(text).toMatch(/extra\/optimizer\.pt\n\s+BLOCKS\s+pickle\.dangerous-import/);
    expect(text).toMatch(/Licence:\s+apache-2\.0/);
    expect(text).toMatch(/GPU memory: about/);
    expect(text).toMatch(/Antivirus:\s+not-run/);
  });

  it('scans a pickle disguised as safetensors as the pickle it is', async () => {
    const dir = join(t.path, 'disguised');
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.safetensors'), torchZip(osSystemPickle()));
    const r = await scanPath(dir, { antivirus: notInstalled });
    expect(r.findings.map((f) => `${f.severity} ${f.rule}`)).toEqual(['dangerous pickle.dangerous-import', 'dangerous safetensors.disguised-pickle']);
    expect(r.parameters).toBeUndefined();
  });

  it('maps antivirus detections to findings that block', async () => {
    const dir = modelDir('av', false);
    const infected: AntivirusRunner = { scan: async ([root]) => ({ status: 'infected', engine: 'ClamAV 1.4.6 (clamscan)', detections: [{ file: join(root, 'tokenizer.json'), signature: 'Test.Sig' }] }) };
    const r = await scanPath(dir, { antivirus: infected });
    expect(r.blocked).toBe(true);
    expect(r.antivirus).toEqual({ status: 'infected', engine: 'ClamAV 1.4.6 (clamscan)' });
    expect(r.findings[0]).toMatchObject({ file: 'tokenizer.json', rule: 'antivirus.found', detail: 'ClamAV signature Test.Sig' });
  });

  it('checks a 2 GiB sparse safetensors file from its header alone', async () => {
    const path = join(t.path, 'big.safetensors');
    const numel = 2 ** 29; // F32 → 2 GiB of data
    const head = headerBytes({ w: { dtype: 'F32', shape: [numel], data_offsets: [0, numel * 4] } });
    const fd = openSync(path, 'w');
    writeSync(fd, head);
    ftruncateSync(fd, head.length + numel * 4);
    closeSync(fd);
    const counter = countingOpener();
    const r = await scanPath(path, { antivirus: notInstalled, open: counter.open });
    expect(r).toMatchObject({ files: 1, bytes: head.length + 2 ** 31, findings: [], parameters: { total: numel, byDtype: { F32: numel } } });
    expect(r.gpuMemory?.weightsBytes).toBe(2 ** 31);
    expect(counter.bytesRead.get(path)).toBeLessThanOrEqual(1024 + head.length); // the head sniffed, then the header: no data
  });

  it('reports unreadable files without stopping, and refuses missing paths', async () => {
    const dir = modelDir('unreadable', false);
    const counter = countingOpener();
    const open = async (p: string) => (p.endsWith('.bin') ? Promise.reject(new Error('EIO: i/o error')) : counter.open(p));
    const r = await scanPath(dir, { antivirus: notInstalled, open });
    expect(r.errors).toEqual([{ file: 'pytorch_model.bin', detail: 'EIO: i/o error' }]);
    expect(r.files).toBe(5);
    expect(r.blocked).toBe(true); // what was not read is not known safe
    await expect(scanPath(join(t.path, 'nope'), { antivirus: notInstalled })).rejects.toMatchObject({ name: 'FerryError', message: expect.stringMatching(/no such file or folder/) });
  });

  it('stops when cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(scanPath(modelDir('cancel', false), { antivirus: notInstalled, signal: ac.signal })).rejects.toMatchObject({ name: 'CanceledError' });
  });

  it('scans a single pickle file, and the schema refuses an inconsistent or oversized report', async () => {
    const r = await scanPath(join(FIXTURES, 'getattr-protocol4.pkl'), { antivirus: notInstalled, now: () => new Date(0) });
    expect(r.blocked).toBe(true);
    expect(r.findings.every((f) => f.file === 'getattr-protocol4.pkl')).toBe(true);
    expect(r.licence).toEqual({ id: 'unknown', source: 'no README.md model card' });
    expect(() => ScanReportSchema.parse({ ...r, blocked: false })).toThrow(/blocked/);
    expect(() => ScanReportSchema.parse({ ...r, extra: 1 })).toThrow();
    expect(() => ScanReportSchema.parse({ ...r, findings: Array(5001).fill(r.findings[0]) })).toThrow();
  });
});
