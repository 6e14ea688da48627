import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
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

describe('HashPool sending small files ahead', () => {
  it('hashes thousands of small files of known size, each answer its own, every byte reported once', async () => {
    const p = new HashPool(2);
    try {
      const files = Array.from({ length: 2000 }, (_, i) => {
        const data = Buffer.from(`small file ${i}\n`.repeat(1 + (i % 7)));
        const path = join(t.path, `s${i}`);
        writeFileSync(path, data);
        return { path, sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
      });
      let progressed = 0;
      const got = await Promise.all(files.map((f) => p.hashFile(f.path, { size: f.size, onBytes: (n) => (progressed += n) })));
      expect(got).toEqual(files.map((f) => ({ sha256: f.sha256, size: f.size })));
      expect(progressed).toBe(files.reduce((n, f) => n + f.size, 0));
    } finally {
      await p.close();
    }
  });

  it('a cancelled file among files sent ahead to the same worker: only it is cancelled, the others are still hashed', async () => {
    const p = new HashPool(1);
    try {
      const files = Array.from({ length: 12 }, (_, i) => {
        const data = randomBytes(100 + i);
        const path = join(t.path, `c${i}`);
        writeFileSync(path, data);
        return { path, sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
      });
      const controller = new AbortController();
      const results = files.map((f, i) => p.hashFile(f.path, { size: f.size, ...(i === 5 ? { signal: controller.signal } : {}) }).then((h) => h.sha256, (e: Error) => e.name));
      controller.abort();
      const got = await Promise.all(results);
      expect(got[5]).toBe('CanceledError');
      expect(got.filter((_, i) => i !== 5)).toEqual(files.filter((_, i) => i !== 5).map((f) => f.sha256));
    } finally {
      await p.close();
    }
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
      // Sized and small: sent ahead to the workers, many at once, all with the same signal.
      await Promise.all(Array.from({ length: 40 }, () => p2.hashFile(path, { signal: controller.signal })));
      await Promise.all(Array.from({ length: 200 }, () => p2.hashFile(path, { size: 1, signal: controller.signal })));
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      await p2.close();
    }
  });
});

describe('HashPool on hostile files', () => {
  const p3 = new HashPool(2);
  afterAll(() => p3.close());

  it('refuses a file whose size is not the expected one, before reading it', async () => {
    const path = join(t.path, 'sized');
    writeFileSync(path, randomBytes(5000));
    await expect(p3.hashFile(path, { size: 4999 })).rejects.toMatchObject({ code: 'ESIZE', message: expect.stringMatching(/sized: is 5000 bytes, expected 4999/) });
    expect((await p3.hashFile(path, { size: 5000 })).size).toBe(5000);
  });

  it('refuses a symbolic link and a FIFO instead of following or blocking', async () => {
    const target = join(t.path, 'target');
    writeFileSync(target, 'secret');
    const link = join(t.path, 'link');
    symlinkSync(target, link);
    await expect(p3.hashFile(link)).rejects.toMatchObject({ code: 'ELOOP' });
    const fifo = join(t.path, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(p3.hashFile(fifo)).rejects.toMatchObject({ code: 'ENOTREG' });
  });

  it('reads around the page cache where the filesystem allows O_DIRECT, with the same hash, or says it cannot', async () => {
    // Over one 8 MiB read and not a multiple of the block size: the short last read ends the file.
    const data = randomBytes((9 << 20) + 1234);
    const path = join(t.path, 'direct');
    writeFileSync(path, data);
    const want = createHash('sha256').update(data).digest('hex');
    let progressed = 0;
    const got = await p3.hashFile(path, { direct: true, size: data.length, onBytes: (n) => (progressed += n) }).catch((err: { code?: string }) => err);
    if ('code' in got) expect(got.code).toBe('ENODIRECT'); // e.g. tmpfs
    else {
      expect(got).toEqual({ sha256: want, size: data.length, direct: true });
      expect(progressed).toBe(data.length);
    }
    expect(await p3.hashFile(path)).toEqual({ sha256: want, size: data.length });
  });
});
