import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DeliveryMismatchError, deliveryReads, readVerified, TAMPER_HOOK_ENV, verifiedChunks } from '../../src/main/deliver/verifying-stream';
import { MediaFileError } from '../../src/main/io/media-file';
import { tempDir } from '../harness/temp';

const t = tempDir('ferry-vstream-');
afterAll(() => t.cleanup());
afterEach(() => {
  delete process.env[TAMPER_HOOK_ENV];
  deliveryReads.enabled = false;
  deliveryReads.bytes.clear();
});

const hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function put(rel: string, bytes: Buffer): { sha256: string; size: number } {
  mkdirSync(join(t.path, rel, '..'), { recursive: true });
  writeFileSync(join(t.path, rel), bytes);
  return { sha256: hex(bytes), size: bytes.length };
}

/** What a consumer receives before the stream ends or throws. */
async function consume(it: AsyncIterable<Buffer>): Promise<{ got: number; err?: unknown }> {
  let got = 0;
  try {
    for await (const c of it) got += c.length;
  } catch (err) {
    return { got, err };
  }
  return { got };
}

describe('verifiedChunks', () => {
  it('hands on exactly the file when it matches, counting each byte read once', async () => {
    const body = randomBytes(3 * (1 << 20) + 5);
    const want = put('ok/blob', body);
    deliveryReads.enabled = true;
    expect((await readVerified(t.path, 'ok/blob', want)).equals(body)).toBe(true);
    expect(deliveryReads.bytes.get('ok/blob')).toBe(body.length);
  });

  it('a content mismatch throws naming the file, and the consumer never receives the whole file', async () => {
    const body = randomBytes(2 * (1 << 20) + 100);
    const want = put('bad/blob', body);
    body[body.length - 1] = body[body.length - 1]! ^ 1;
    writeFileSync(join(t.path, 'bad/blob'), body);
    const { got, err } = await consume(verifiedChunks(t.path, 'bad/blob', want, { label: 'images/bad/blob', bundleDir: '/b' }));
    expect(err).toBeInstanceOf(DeliveryMismatchError);
    expect((err as DeliveryMismatchError).file).toBe('images/bad/blob');
    expect((err as Error).message).toMatch(/^images\/bad\/blob: sha256 [0-9a-f]{64}, the manifest records [0-9a-f]{64}/);
    expect((err as DeliveryMismatchError).hint).toContain('ferry verify /b');
    expect(got).toBeLessThan(body.length);
  });

  it('a size other than the manifest says is refused before a byte is handed on', async () => {
    const want = put('short/blob', randomBytes(1000));
    const { got, err } = await consume(verifiedChunks(t.path, 'short/blob', { ...want, size: 1001 }));
    expect((err as Error).message).toContain('short/blob: 1000 bytes, the manifest records 1001');
    expect(got).toBe(0);
  });

  it('reads through the hostile-media reader: a symbolic link or a FIFO is refused', async () => {
    const want = put('real/blob', randomBytes(10));
    symlinkSync(join(t.path, 'real/blob'), join(t.path, 'real/link'));
    await expect(consume(verifiedChunks(t.path, 'real/link', want)).then((r) => r.err)).resolves.toBeInstanceOf(MediaFileError);
    execFileSync('mkfifo', [join(t.path, 'real/fifo')]);
    const r = await consume(verifiedChunks(t.path, 'real/fifo', want));
    expect((r.err as Error).message).toMatch(/FIFO|not a regular file/);
  });

  it('the tamper hook changes only the file it names, after the first 4 KiB, and only when set', async () => {
    const body = randomBytes(50_000);
    const want = put('hook/a', body);
    put('hook/b', body);
    expect((await consume(verifiedChunks(t.path, 'hook/a', want))).err).toBeUndefined();
    process.env[TAMPER_HOOK_ENV] = 'hook/b';
    expect((await consume(verifiedChunks(t.path, 'hook/a', want))).err).toBeUndefined();
    const r = await consume(verifiedChunks(t.path, 'hook/b', want));
    expect(r.err).toBeInstanceOf(DeliveryMismatchError);
    expect(readFileSync(join(t.path, 'hook/a')).equals(body)).toBe(true);
    expect(hex(readFileSync(join(t.path, 'hook/b')))).not.toBe(want.sha256);
  });
});
