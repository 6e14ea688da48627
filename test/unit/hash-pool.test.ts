import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HashPool } from '../../src/main/hash/hash-pool';
import { tempDir } from '../harness/temp';

const t = tempDir();
const pool = new HashPool(2);
afterAll(async () => {
  await pool.close();
  t.cleanup();
});

describe('HashPool', () => {
  it('hashes many files on worker threads, matching node:crypto, reporting every byte', async () => {
    const files = Array.from({ length: 6 }, (_, i) => {
      const data = randomBytes(1000 + i * 700_000);
      const path = join(t.path, `f${i}`);
      writeFileSync(path, data);
      return { path, sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
    });
    let progressed = 0;
    const got = await Promise.all(files.map((f) => pool.hashFile(f.path, { onBytes: (n) => (progressed += n) })));
    expect(got).toEqual(files.map((f) => ({ sha256: f.sha256, size: f.size })));
    expect(progressed).toBe(files.reduce((s, f) => s + f.size, 0));
  });

  it('names the file it could not read and keeps working', async () => {
    await expect(pool.hashFile(join(t.path, 'absent'))).rejects.toThrow(/absent/);
    const p = join(t.path, 'after');
    writeFileSync(p, 'ok');
    expect((await pool.hashFile(p)).size).toBe(2);
  });

  it('rejects at once when already canceled', async () => {
    await expect(pool.hashFile(join(t.path, 'after'), { signal: AbortSignal.abort() })).rejects.toThrow(/Canceled/);
  });
});

describe('HashPool with one long-lived signal', () => {
  it('does not pile up abort listeners across many files', async () => {
    const p2 = new HashPool(2);
    const controller = new AbortController();
    const path = join(t.path, 'small');
    writeFileSync(path, 'x');
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      await Promise.all(Array.from({ length: 40 }, () => p2.hashFile(path, { signal: controller.signal })));
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      await p2.close();
    }
  });
});
