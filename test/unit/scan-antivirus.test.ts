import { describe, expect, it } from 'vitest';
import { clamav, parseClamOutput, parseSignaturesDate, type CommandResult, type CommandRunner } from '../../src/main/scan/antivirus';

/** A fake runner answering per program; records every call. */
function runner(answers: Record<string, (args: string[]) => CommandResult>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run: CommandRunner = async (cmd, args) => {
    calls.push(`${cmd} ${args.join(' ')}`);
    return (answers[cmd] ?? (() => ({ code: null, stdout: '', stderr: '', failure: 'ENOENT' })))(args);
  };
  return Object.assign(run, { calls });
}
const ok = (stdout = '', code = 0): CommandResult => ({ code, stdout, stderr: '' });

describe('ClamAV runner', () => {
  it('is "not run", with the reason, when ClamAV is not installed', async () => {
    const run = runner({});
    expect(await clamav({ run }).scan(['/m'])).toEqual({ status: 'not-run', reason: 'ClamAV is not installed (apt-get install clamav)', detections: [] });
    expect(run.calls).toEqual(['clamdscan --ping 1', 'clamscan --version']);
  });

  it('uses clamdscan --fdpass when the daemon answers', async () => {
    const run = runner({ clamdscan: (a) => (a[0] === '--version' ? ok('ClamAV 1.4.6/27500/Mon Nov 23 2026\n') : ok()) });
    const r = await clamav({ run }).scan(['/m']);
    expect(r).toMatchObject({ status: 'clean', engine: 'ClamAV 1.4.6/27500/Mon Nov 23 2026 (clamdscan)', signaturesDate: 'Mon Nov 23 2026 (daily 27500)' });
    expect(run.calls[2]).toBe('clamdscan --no-summary --infected --fdpass /m');
  });

  it('falls back to clamscan and parses FOUND lines', async () => {
    const run = runner({
      clamdscan: () => ({ code: 2, stdout: '', stderr: 'ERROR: Could not connect to clamd' }),
      clamscan: (a) => (a[0] === '--version' ? ok('ClamAV 1.4.6\n') : ok('/m/a b: c.bin: Win.Test.EICAR_HDB-1 FOUND\n/m/x: Other.Sig FOUND\n', 1)),
    });
    const r = await clamav({ run }).scan(['/m']);
    expect(r.status).toBe('infected');
    expect(r.detections).toEqual([{ file: '/m/a b: c.bin', signature: 'Win.Test.EICAR_HDB-1' }, { file: '/m/x', signature: 'Other.Sig' }]);
    expect(run.calls[2]).toBe('clamscan --no-summary --infected --recursive /m');
  });

  it('reports scanner errors (no signature database) instead of calling the files clean', async () => {
    const run = runner({ clamscan: (a) => (a[0] === '--version' ? ok('ClamAV 1.4.6') : { code: 2, stdout: '', stderr: 'LibClamAV Error: cli_loaddbdir: No supported database files found in /var/lib/clamav\nERROR: Can\'t open file or directory\n' }) });
    const r = await clamav({ run, database: '/x/custom.ndb' }).scan(['/m']);
    expect(r.status).toBe('error');
    expect(r.detail).toMatch(/^no signature database: .*run freshclam.*No supported database files found/);
    expect(r.signaturesDate).toBeUndefined();
    expect(run.calls).toEqual(['clamscan --version', 'clamscan --no-summary --infected --recursive --database /x/custom.ndb /m']);
    const timeout = runner({ clamscan: (a) => (a[0] === '--version' ? ok('ClamAV') : { code: null, stdout: '', stderr: '', failure: 'TIMEOUT' }) });
    expect((await clamav({ run: timeout, database: 'd', timeoutMs: 5000 }).scan(['/m'])).detail).toBe('clamscan failed: timed out after 5 s');
  });

  it('reads the signature date from clamscan --version, or sigtool --info for a given .cvd', async () => {
    expect(parseSignaturesDate('ClamAV 1.0.7/27479/Tue Dec  2 08:11:02 2025\n')).toBe('Tue Dec 2 08:11:02 2025 (daily 27479)');
    expect(parseSignaturesDate('ClamAV 1.4.6\n')).toBeUndefined();
    const run = runner({
      clamscan: (a) => (a[0] === '--version' ? ok('ClamAV 1.4.6') : ok()),
      sigtool: () => ok('File: daily.cvd\nBuild time: 02 Dec 2025 08:11 +0000\nVersion: 27479\n'),
    });
    expect(await clamav({ run, database: '/db/daily.cvd' }).scan(['/m'])).toMatchObject({ status: 'clean', signaturesDate: '02 Dec 2025 08:11 +0000' });
    expect(run.calls).toContain('sigtool --info /db/daily.cvd');
  });

  it('parses only well-formed FOUND lines', () => {
    expect(parseClamOutput('/a: OK\n/b: Sig FOUND\r\nnoise FOUND\n/c: two words FOUND\n/d: e: Sig.2 FOUND')).toEqual([
      { file: '/b', signature: 'Sig' },
      { file: '/d: e', signature: 'Sig.2' },
    ]);
  });
});
