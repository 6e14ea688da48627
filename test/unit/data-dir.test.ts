import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { secureDataDir } from '../../src/main/core/data-dir';
import { openDatabase } from '../../src/main/db/database';
import { tempDir } from '../harness/temp';

let t: ReturnType<typeof tempDir>;
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());
const mode = (p: string): number => statSync(p).mode & 0o777;

describe('secureDataDir', () => {
  it('creates the data dir 0700 and ferry.db 0600, and SQLite gives -wal/-shm the same mode', () => {
    const dir = join(t.path, 'nested', 'ferry');
    const warnings: string[] = [];
    expect(secureDataDir(dir, (l) => warnings.push(l))).toBe(dir);
    expect(mode(dir)).toBe(0o700);
    const db = openDatabase(join(dir, 'ferry.db'));
    try {
      db.exec('CREATE TABLE IF NOT EXISTS t (x)');
      db.prepare('INSERT INTO t VALUES (1)').run();
      const files = readdirSync(dir).filter((f) => f.startsWith('ferry.db'));
      expect(files).toContain('ferry.db');
      for (const f of files) expect(mode(join(dir, f)), f).toBe(0o600);
    } finally {
      db.close();
    }
    expect(warnings).toEqual([]);
  });

  it('warns about a wider existing data dir without changing it, and narrows Ferry\'s own files', () => {
    const dir = join(t.path, 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    for (const f of ['ferry.db', 'ferry.db-wal', 'credentials.key', 'notes.txt']) writeFileSync(join(dir, f), '');
    for (const f of ['ferry.db', 'ferry.db-wal', 'credentials.key', 'notes.txt']) chmodSync(join(dir, f), 0o644);
    const warnings: string[] = [];
    secureDataDir(dir, (l) => warnings.push(l));
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`${dir} is mode 0755.*chmod 700 ${dir}`))]);
    expect(mode(dir)).toBe(0o755);
    expect([mode(join(dir, 'ferry.db')), mode(join(dir, 'ferry.db-wal')), mode(join(dir, 'credentials.key'))]).toEqual([0o600, 0o600, 0o600]);
    expect(mode(join(dir, 'notes.txt')), 'not Ferry\'s: left alone').toBe(0o644);
  });
});
