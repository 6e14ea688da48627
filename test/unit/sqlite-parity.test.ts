import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeRuntime } from '../../src/main/kit/node-runtime';
import { testNodeRuntime } from '../harness/kit-node';
import { tempDir } from '../harness/temp';
import { runScenario } from './sqlite-scenario';

// Ferry on node:sqlite, as the offline kit runs it: the scenario is bundled by esbuild (without
// better-sqlite3, as the kit's bundle is) and run by the official Node 22 binary; its summary must
// equal the one better-sqlite3 gives in this process.
const tmp = tempDir('ferry-sqlite-parity-');
let node: NodeRuntime;
let bundle: string;

beforeAll(async () => {
  node = await testNodeRuntime(); // fetched once into the test cache (about 50 MiB)
  bundle = join(tmp.path, 'scenario.cjs');
  await build({
    stdin: {
      contents: `require('./test/unit/sqlite-scenario').runScenario(process.argv[2]).then((r) => process.stdout.write(JSON.stringify(r)), (e) => { process.stderr.write(String(e && e.message) + '\\n'); process.exit(1); });`,
      resolveDir: resolve(__dirname, '../..'),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    outfile: bundle,
    logLevel: 'error',
  });
}, 180_000);
afterAll(() => tmp.cleanup());

function runUnderNode22(dir: string, env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  mkdirSync(dir, { recursive: true });
  const base = { ...process.env };
  delete base.FERRY_SQLITE;
  const r = spawnSync(node.binary, ['--disable-warning=ExperimentalWarning', bundle, dir], { cwd: tmp.path, env: { ...base, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('Ferry on node:sqlite (the official Node 22 binary) and on better-sqlite3', () => {
  it('the same scenario gives the same results: migrations, custody chain, transactions, errors, backup, recovery', async () => {
    const ours = (await runScenario(join(tmp.path, 'better'))) as Record<string, any>;
    expect(ours.driver).toBe('better-sqlite3');
    const r = runUnderNode22(join(tmp.path, 'node'));
    expect(r.code, r.stderr).toBe(0);
    const theirs = JSON.parse(r.stdout);
    // Without FERRY_SQLITE, a bundle that has no better-sqlite3 falls back to node:sqlite by itself.
    expect(theirs.driver).toBe('node');
    expect(theirs).toEqual({ ...ours, driver: 'node' });

    // And what both must say, so that equal is also right.
    expect(ours).toMatchObject({
      pragmas: { userVersion: expect.any(Number), journal: 'wal', foreignKeys: 1 },
      quickCheck: [{ quick_check: 'ok' }],
      chain: { ok: true, count: 5 },
      appendOnly: expect.stringMatching(/append-only/),
      insert: { changes: 1, lastInsertRowid: 1 },
      row: { id: 1, name: 'a', data: { type: 'Buffer', data: [1, 2, 3] } },
      rowPrototype: true,
      blobIsBuffer: true,
      none: 'undefined',
      rolledBack: 'boom',
      inTransaction: true,
      afterTransaction: false,
      names: ['a', 'c'],
      raw: [[1, 'a'], [2, 'c']],
      iterated: ['a', 'c'],
      unique: 'SQLITE_CONSTRAINT_UNIQUE',
      asyncTransaction: expect.stringMatching(/promise/),
      backupChain: { ok: true, count: 5 },
      busy: 'SQLITE_BUSY',
      busyError: expect.stringContaining('is busy'),
      busyOpen: expect.stringContaining('is busy'),
      closed: false,
      junk: { name: 'CorruptDatabaseError', message: expect.stringContaining('<dir>/junk.db is damaged') },
      damaged: 'CorruptDatabaseError',
      recovered: { custody: { recovered: 40, highestSeq: 40, missingSeqs: [] } },
      recoveredChain: { ok: true, count: 40 },
    });
    expect(ours.pragmas.userVersion).toBeGreaterThan(0);
  }, 120_000);

  it('FERRY_SQLITE=better-sqlite3 where it cannot load says so and what to do', () => {
    const r = runUnderNode22(join(tmp.path, 'forced'), { FERRY_SQLITE: 'better-sqlite3' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FERRY_SQLITE=better-sqlite3, but better-sqlite3 cannot be loaded');
  });

  it('FERRY_SQLITE=node forces node:sqlite', () => {
    const r = runUnderNode22(join(tmp.path, 'forced-node'), { FERRY_SQLITE: 'node' });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ driver: 'node', chain: { ok: true, count: 5 }, recoveredChain: { ok: true, count: 40 } });
  }, 60_000);
});
