import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { scanCommand, scanExitCode } from '../../src/main/cli/commands/scan';
import { openFile, type FileOpener } from '../../src/main/scan/file-source';
import { scanPath } from '../../src/main/scan/scan-path';
import type { ScanReport } from '../../src/main/scan/types';
import { tempDir } from '../harness/temp';
import { osSystemPickle } from '../fixtures/scan/pickle-builder';
import { buildSafetensors } from '../fixtures/scan/safetensors-builder';
import { torchZip } from '../fixtures/scan/zip-builder';

const t = tempDir('ferry-scan-cli-');
afterAll(() => t.cleanup());
let out = '';
const path = process.env.PATH;

beforeEach(() => {
  out = '';
  process.exitCode = undefined;
  process.env.PATH = join(t.path, 'empty-bin'); // no ClamAV on PATH: the report must say "not-run"
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  process.env.PATH = path;
  process.exitCode = undefined;
});

// scan runs through the API (scan:path), so it opens a station: a throwaway one here.
const run = (...args: string[]) => scanCommand().exitOverride().parseAsync([...args, '--data-dir', join(t.path, 'station')], { from: 'user' });

describe('ferry scan', () => {
  it('exit 0 and a human report for a clean folder', async () => {
    const dir = join(t.path, 'clean');
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.safetensors'), buildSafetensors([{ name: 'w', dtype: 'F16', shape: [1000, 1000] }]));
    await run(dir);
    expect(process.exitCode ?? 0).toBe(0);
    expect(out).toMatch(/^OK: nothing in .* could run code when loaded/);
    expect(out).toMatch(/Parameters: 1\.0 M \(F16 1\.0 M\)/);
    expect(out).toMatch(/Licence:\s+unknown — from no README\.md model card/);
    expect(out).toMatch(/Antivirus:\s+not-run: ClamAV is not installed \(apt-get install clamav\)/);
  });

  it('exit 1 and JSON with blocked=true for a dangerous checkpoint', async () => {
    const file = join(t.path, 'evil.pt');
    writeFileSync(file, torchZip(osSystemPickle()));
    await run(file, '--json');
    expect(process.exitCode).toBe(1);
    const r = JSON.parse(out) as ScanReport;
    expect(r.blocked).toBe(true);
    expect(r.findings[0]).toMatchObject({ file: 'evil.pt', rule: 'pickle.dangerous-import', severity: 'dangerous' });
    expect(r.antivirus.status).toBe('not-run');
  });

  it('exit 1 for a truncated safetensors file; exit 2 when a file could not be read and nothing else blocks', async () => {
    const whole = buildSafetensors([{ name: 'w', dtype: 'F16', shape: [100, 100] }]);
    const cut = join(t.path, 'cut.safetensors');
    writeFileSync(cut, whole.subarray(0, whole.length - 100));
    await run(cut);
    expect(process.exitCode).toBe(1);
    expect(out).toMatch(/^BLOCKED: 1 blocking finding\(s\)/);
    expect(out).toMatch(/BLOCKS\s+safetensors\.out-of-bounds/);
    const dir = join(t.path, 'unreadable');
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.safetensors'), whole);
    writeFileSync(join(dir, 'weights.bin'), whole);
    const failing: FileOpener = async (p) => (p.endsWith('.bin') ? Promise.reject(new Error('EACCES: permission denied')) : openFile(p));
    const report = await scanPath(dir, { open: failing, antivirus: { scan: async () => ({ status: 'not-run', detections: [] }) } });
    expect(report).toMatchObject({ blocked: true, errors: [{ file: 'weights.bin', detail: 'EACCES: permission denied' }] });
    expect(scanExitCode(report)).toBe(2);
    expect(scanExitCode({ ...report, errors: [], blocked: false })).toBe(0);
  });

  it('could not scan: a missing path is a UsageError (exit 2 from the CLI entry point)', async () => {
    await expect(run(join(t.path, 'missing'))).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(/no such file or folder/) });
  });
});
