import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withServices } from '../../src/main/cli/context';
import { writeReturnedFile } from '../../src/main/cli/returned-file';
import { createIdentity } from '../../src/main/identity/station-admin';
import { tempDir } from '../harness/temp';

// Rules the CLI no longer holds itself: station administration (who may change a policy) lives in
// the handlers, and the CLI reaches it through dispatch with its caller (cli/context.ts cliContext).

const t = tempDir('ferry-cli-admin-');
afterAll(() => t.cleanup());
const PASS = 'a long and unusual passphrase 4 tests';

describe('station administration from the CLI', () => {
  it('the owner administers a station without an admin; once one exists, only an admin (--as) may', async () => {
    const dataDir = join(t.path, 'station');
    const open = <T>(fn: Parameters<typeof withServices<T>>[1]) => withServices<T>({ dataDir }, fn);
    // No identity at all: acting unsigned.
    await open(async (cli) => expect(await cli.handlers['trust:policy']({ requiredApprovals: '2' })).toMatchObject({ requiredApprovals: 2, source: 'default' }));
    // Identities, but no admin yet: the data dir's owner still may.
    await open(async (cli) => void createIdentity(cli.services, undefined, { name: 'olga', role: 'operator', passphrase: PASS }));
    await open(async (cli) => expect(await cli.handlers['trust:policy']({ requireApprovals: 'on' })).toMatchObject({ requireApprovals: true, source: 'setting' }));
    // An admin exists: nobody acting is refused, naming what to do; the check runs before anything changes.
    await open(async (cli) => void createIdentity(cli.services, undefined, { name: 'adam', role: 'admin', passphrase: PASS }));
    await open(async (cli) => {
      await expect(cli.handlers['trust:policy']({ requireApprovals: 'off' })).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(/changing the approval policy needs --as ADMIN/) });
      await expect(cli.handlers['signature-policy:change']({ unmatched: 'none' })).rejects.toMatchObject({ message: expect.stringMatching(/needs --as ADMIN/) });
      await expect(cli.handlers['custody:syslog']({ target: 'tcp://127.0.0.1:1' })).rejects.toMatchObject({ message: expect.stringMatching(/needs --as ADMIN/) });
      expect(await cli.handlers['trust:policy']({})).toMatchObject({ requireApprovals: true });
      expect((await cli.handlers['signature-policy:show']({})).unmatchedSet).toBe(false);
    });
  }, 30_000);

  it('a bad policy value is refused with the policy\'s own message before anyone signs', async () => {
    await withServices({ dataDir: join(t.path, 'other') }, async (cli) => {
      await expect(cli.handlers['trust:policy']({ requiredApprovals: '3' })).rejects.toMatchObject({ name: 'UsageError', message: 'The number of required approvals must be 1 or 2.' });
    });
  });
});

describe('files the CLI writes for a handler (reports, compose export)', () => {
  it('never replaces an existing file unless forced; forced, the new file gets the mode asked for', async () => {
    const f = join(t.path, '.env');
    writeFileSync(f, 'OLD=1\n', { mode: 0o644 });
    await expect(writeReturnedFile(f, 'NEW=2\n', { mode: 0o600 })).rejects.toMatchObject({ name: 'UsageError', message: `${f} already exists; nothing was written to it.` });
    expect(readFileSync(f, 'utf8')).toBe('OLD=1\n');
    await writeReturnedFile(f, 'NEW=2\n', { mode: 0o600, force: true });
    expect(readFileSync(f, 'utf8')).toBe('NEW=2\n');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    await expect(writeReturnedFile(t.path, 'x', { force: true })).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(/is not a file; nothing was written/) });
  });
});
