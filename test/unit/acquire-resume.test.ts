import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isTransient, TransientError, withRetry } from '../../src/main/acquire/retry';
import { writeVerifiedResumable, type OpenedSource } from '../../src/main/io/verified-write';
import { RegistryError } from '../../src/main/registry/registry-errors';
import { CanceledError } from '../../src/shared/errors';
import { tempDir } from '../harness/temp';

const tmp = tempDir('ferry-resume-unit-');
afterAll(() => tmp.cleanup());
const data = randomBytes(300_000);
const hex = createHash('sha256').update(data).digest('hex');

async function* chunks(buf: Buffer, size = 65_536, after?: { at: number; err: Error }): AsyncIterable<Uint8Array> {
  for (let off = 0; off < buf.length; off += size) {
    if (after && off >= after.at) throw after.err;
    yield buf.subarray(off, Math.min(buf.length, off + size));
  }
}

/** A source honouring Range (or not), recording the offsets asked for. */
function source(opts: { ignoreRange?: boolean; breakAt?: number } = {}) {
  const asked: number[] = [];
  const open = async (offset: number): Promise<OpenedSource> => {
    asked.push(offset);
    const start = opts.ignoreRange ? 0 : offset;
    const brk = opts.breakAt !== undefined && asked.length === 1 ? { at: opts.breakAt - start, err: new TransientError('connection reset') } : undefined;
    return { body: chunks(data.subarray(start), 65_536, brk), start };
  };
  return { open, asked };
}

describe('writeVerifiedResumable', () => {
  it('keeps the partial when the connection breaks, and the next call continues it with the prefix re-hashed', async () => {
    const dest = join(tmp.path, 'a');
    const s = source({ breakAt: 131_072 });
    await expect(writeVerifiedResumable(s.open, dest, { sha256: hex, size: data.length })).rejects.toThrow(/connection reset/);
    expect(statSync(`${dest}.tmp`).size).toBe(131_072);
    let resumed = -1;
    let fetched = 0;
    const got = await writeVerifiedResumable(s.open, dest, { sha256: hex, size: data.length }, { onResumed: (n) => (resumed = n), onBytes: (n) => (fetched += n) });
    expect(got).toEqual({ sha256: hex, size: data.length });
    expect(s.asked).toEqual([0, 131_072]);
    expect(resumed).toBe(131_072);
    expect(fetched).toBe(data.length - 131_072);
    expect(readFileSync(dest).equals(data)).toBe(true);
    expect(existsSync(`${dest}.tmp`)).toBe(false);
  });

  it('starts over when the server ignores the range', async () => {
    const dest = join(tmp.path, 'b');
    writeFileSync(`${dest}.tmp`, data.subarray(0, 1000));
    const s = source({ ignoreRange: true });
    let resumed = -1;
    await writeVerifiedResumable(s.open, dest, { sha256: hex, size: data.length }, { onResumed: (n) => (resumed = n) });
    expect(resumed).toBe(0);
    expect(readFileSync(dest).equals(data)).toBe(true);
  });

  it('removes a partial whose content is wrong, and one longer than expected', async () => {
    const dest = join(tmp.path, 'c');
    const bad = Buffer.from(data);
    bad[10] ^= 0xff;
    writeFileSync(`${dest}.tmp`, bad.subarray(0, 5000));
    const s = source();
    await expect(writeVerifiedResumable(s.open, dest, { sha256: hex, size: data.length })).rejects.toMatchObject({ name: 'IntegrityError' });
    expect(existsSync(`${dest}.tmp`)).toBe(false);
    writeFileSync(`${dest}.tmp`, Buffer.concat([data, Buffer.from('x')]));
    await writeVerifiedResumable(s.open, dest, { sha256: hex, size: data.length });
    expect(readFileSync(dest).equals(data)).toBe(true);
  });

  it('keeps the partial on cancel; a complete partial needs no request', async () => {
    const dest = join(tmp.path, 'd');
    const ac = new AbortController();
    const s = source();
    await expect(writeVerifiedResumable(s.open, dest, { sha256: hex, size: data.length }, { signal: ac.signal, onBytes: () => ac.abort() })).rejects.toBeInstanceOf(CanceledError);
    expect(statSync(`${dest}.tmp`).size).toBe(65_536);
    writeFileSync(`${dest}.tmp`, data);
    const before = s.asked.length;
    await writeVerifiedResumable(s.open, dest, { sha256: hex, size: data.length });
    expect(s.asked.length).toBe(before);
    expect(readFileSync(dest).equals(data)).toBe(true);
  });
});

describe('withRetry', () => {
  it('retries 5xx and dropped connections with backoff, not 4xx, and stops on cancel', async () => {
    let n = 0;
    const got = await withRetry(async () => {
      if (++n < 3) throw new RegistryError('Registry server error', undefined, 503);
      return 'ok';
    }, { baseMs: 1 });
    expect([got, n]).toEqual(['ok', 3]);
    let m = 0;
    await expect(withRetry(async () => { m++; throw new RegistryError('Not found', undefined, 404); }, { baseMs: 1 })).rejects.toThrow(/Not found/);
    expect(m).toBe(1);
    expect(isTransient(new RegistryError('Request to 127.0.0.1:1 failed: other side closed', 'x'))).toBe(true);
    expect(isTransient(new RegistryError('TLS certificate of x is not trusted', 'x'))).toBe(false);
    const ac = new AbortController();
    const p = withRetry(async () => { ac.abort(); throw new TransientError('reset'); }, { baseMs: 10_000, signal: ac.signal });
    await expect(p).rejects.toBeInstanceOf(CanceledError);
    let k = 0;
    await expect(withRetry(async () => { k++; throw new TransientError('always'); }, { baseMs: 1, attempts: 4 })).rejects.toThrow(/always/);
    expect(k).toBe(4);
  });
});
