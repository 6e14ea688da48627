import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync, closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MEDIA_LIMITS, mediaReadStream, openMediaFile, openMediaStreamSync, parseMediaJson, readMediaFile, readMediaJson } from '../../src/main/io/media-file';
import { tempDir } from '../harness/temp';

let t: ReturnType<typeof tempDir>;
const SECRET = 'TOP-SECRET-MARKER-7f3a';
beforeEach(() => {
  t = tempDir();
  mkdirSync(join(t.path, 'root/sub'), { recursive: true });
  writeFileSync(join(t.path, 'secret'), `{"k":"${SECRET}"}`);
  writeFileSync(join(t.path, 'root/ok.json'), '{"a":[1,2,{"b":null}]}');
});
afterEach(() => t.cleanup());

const root = (): string => join(t.path, 'root');
async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: Error) => e,
  );
  expect(err, 'expected a refusal').toBeInstanceOf(Error);
  expect(err!.message).not.toContain(SECRET);
  return err!.message;
}

describe('readMediaFile', () => {
  it('reads a regular file and its JSON with sha256', async () => {
    const r = await readMediaJson(root(), 'ok.json', 'manifest');
    expect(r.value).toEqual({ a: [1, 2, { b: null }] });
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a FIFO at once, naming it', async () => {
    execFileSync('mkfifo', [join(root(), 'manifest.json')]);
    const t0 = Date.now();
    expect(await refusal(readMediaFile(root(), 'manifest.json', 'manifest'))).toMatch(/^manifest\.json is a FIFO/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('refuses symlinks to secrets, to /dev/zero and loops, never echoing content', async () => {
    symlinkSync(join(t.path, 'secret'), join(root(), 'a.json'));
    symlinkSync('/dev/zero', join(root(), 'b.json'));
    symlinkSync('c.json', join(root(), 'c.json'));
    for (const n of ['a.json', 'b.json', 'c.json']) expect(await refusal(readMediaJson(root(), n, 'label'))).toMatch(new RegExp(`^${n.replace('.', '\\.')} is a symbolic link`));
  });

  it('refuses a directory, a socket and a file under a symlinked folder', async () => {
    mkdirSync(join(root(), 'd.json'));
    expect(await refusal(readMediaFile(root(), 'd.json', 'lock'))).toMatch(/d\.json is a directory/);
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(join(root(), 's.json'), r));
    try {
      expect(await refusal(readMediaFile(root(), 's.json', 'lock'))).toMatch(/s\.json is a socket/);
    } finally {
      srv.close();
    }
    mkdirSync(join(t.path, 'elsewhere'));
    writeFileSync(join(t.path, 'elsewhere/x.json'), `{"k":"${SECRET}"}`);
    symlinkSync(join(t.path, 'elsewhere'), join(root(), 'linked'));
    expect(await refusal(readMediaFile(root(), 'linked/x.json', 'lock'))).toMatch(/linked\/x\.json: its folder linked is a symbolic link/);
    expect(await refusal(readMediaFile(root(), '../secret', 'lock'))).toMatch(/leaves the bundle/);
  });

  it('bounds the size before reading (a sparse file over the limit)', async () => {
    const p = join(root(), 'big.json');
    closeSync(openSync(p, 'w'));
    truncateSync(p, MEDIA_LIMITS.statement + 1);
    expect(await refusal(readMediaFile(root(), 'big.json', 'statement'))).toMatch(/big\.json is 65537 bytes, over the 65536-byte limit/);
  });

  it('refuses duplicate keys, deep nesting, bad UTF-8 and bad JSON by position only', () => {
    expect(() => parseMediaJson(Buffer.from('{"a":1,"a":2}'), 'm.json')).toThrow(/m\.json has a duplicate key \/a/);
    expect(() => parseMediaJson(Buffer.from(`${'['.repeat(100)}${']'.repeat(100)}`), 'm.json')).toThrow(/nesting deeper/);
    expect(() => parseMediaJson(Buffer.from([0x7b, 0xff, 0x7d]), 'm.json')).toThrow(/not valid UTF-8/);
    let msg = '';
    try {
      parseMediaJson(Buffer.from(`root:${SECRET}:1:2`), 'm.json');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/m\.json is not valid JSON: .* at position \d+/);
    expect(msg).not.toContain(SECRET);
  });

  it('honours cancel', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(readMediaFile(root(), 'ok.json', 'manifest', { signal: ac.signal })).rejects.toThrow(/Cancel/);
  });

  it('streams a verified regular file and opens one for handles', async () => {
    writeFileSync(join(root(), 'sub/blob'), Buffer.alloc(3000, 1));
    const { stream, size } = await mediaReadStream(root(), 'sub/blob');
    let n = 0;
    for await (const c of stream) n += c.length;
    expect([n, size]).toEqual([3000, 3000]);
    const f = await openMediaFile(root(), 'sub/blob');
    expect(f.size).toBe(3000);
    await f.close();
    execFileSync('mkfifo', [join(root(), 'sub/fifo')]);
    await refusal(mediaReadStream(root(), 'sub/fifo'));
  });
});

describe('openMediaStreamSync (factories for upload retries)', () => {
  it('streams a regular file, and refuses a FIFO, a directory and a symlink without reading them', async () => {
    const chunks: Buffer[] = [];
    for await (const c of openMediaStreamSync(join(root(), 'ok.json'))) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('{"a":[1,2,{"b":null}]}');
    execFileSync('mkfifo', [join(root(), 'fifo')]);
    symlinkSync(join(t.path, 'secret'), join(root(), 'link'));
    expect(() => openMediaStreamSync(join(root(), 'fifo'))).toThrow(/a FIFO \(named pipe\), not a regular file/);
    expect(() => openMediaStreamSync(join(root(), 'sub'))).toThrow(/not a regular file/);
    expect(() => openMediaStreamSync(join(root(), 'link'))).toThrow(/symbolic link/);
  });
});
