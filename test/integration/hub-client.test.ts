import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CanceledError, FerryError } from '../../src/shared/errors';
import { IntegrityError } from '../../src/main/io/verified-write';
import { downloadModelFile, resolveModel, type ResolvedModel } from '../../src/main/hub/hub-client';
import { modelFileDest } from '../../src/main/hub/model-path';
import { startHubServer, type HubServer } from '../harness/hub-server';
import { freePort } from '../harness/ports';
import { tempDir } from '../harness/temp';

const TOKEN = 'hf_testtoken123';
const config = Buffer.from(JSON.stringify({ architectures: ['LlamaForCausalLM'], hidden_size: 64 }));
const tokenizer = Buffer.from(JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab: { a: 0, b: 1 } } }));
const weights = { size: 300_000, seed: 7 };
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const TINY = 'ferry-test/tiny-llama';
const files = {
  'config.json': config,
  'model.safetensors': weights,
  'tokenizer/tokenizer.json': tokenizer,
  'weird name #1.txt': Buffer.from('spaces and hash'),
  'empty.txt': Buffer.alloc(0),
};

let hub: HubServer;
let dest: ReturnType<typeof tempDir>;
const fetchSpy = vi.spyOn(globalThis, 'fetch');

beforeAll(async () => {
  hub = await startHubServer({
    repos: {
      [TINY]: { files },
      'ferry-test/gated': { files: { 'config.json': config, 'model.safetensors': { size: 4096, seed: 2 } }, gated: { token: TOKEN } },
      'ferry-test/evil': { files: { 'config.json': config, '../evil': Buffer.from('pwned') } },
      'ferry-test/big': { files: { 'model.safetensors': { size: 32 << 20, seed: 3 } } },
      'ferry-test/moving': { files: { 'config.json': Buffer.from('{"v":1}') } },
    },
  });
  dest = tempDir('ferry-hub-');
});

afterAll(async () => {
  await hub?.stop();
  dest?.cleanup();
  // Every request went to a stand-in on loopback.
  const urls = fetchSpy.mock.calls.map(([input]) => new URL(input instanceof Request ? input.url : String(input)));
  expect(urls.length).toBeGreaterThan(0);
  for (const u of urls) expect(u.hostname).toBe('127.0.0.1');
  fetchSpy.mockRestore();
});

afterEach(() => {
  hub.tamper(TINY, 'config.json', false);
  hub.tamper(TINY, 'model.safetensors', false);
});

async function caught(p: Promise<unknown>): Promise<FerryError> {
  try {
    await p;
  } catch (err) {
    return err as FerryError;
  }
  throw new Error('expected a rejection');
}

function listing(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort() : [];
}

describe('resolveModel', () => {
  it('pins main to the commit and lists every file with its checksums', async () => {
    const model = await resolveModel({ repo: TINY }, { hubUrl: hub.url });
    expect(model.repo).toBe(TINY);
    expect(model.requestedRevision).toBe('main');
    expect(model.revision).toBe(hub.commitOf(TINY));
    expect(model.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(model.files.map((f) => f.path)).toEqual(['config.json', 'empty.txt', 'model.safetensors', 'tokenizer/tokenizer.json', 'weird name #1.txt']);
    const byPath = Object.fromEntries(model.files.map((f) => [f.path, f]));
    expect(byPath['config.json']).toMatchObject({ size: config.length, lfs: false });
    expect(byPath['config.json']!.sha256).toBeUndefined();
    expect(byPath['config.json']!.gitOid).toBe(createHash('sha1').update(`blob ${config.length}\0`).update(config).digest('hex'));
    expect(byPath['model.safetensors']).toMatchObject({ size: weights.size, lfs: true });
    expect(byPath['model.safetensors']!.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The listing was fetched at the commit, not at the branch.
    expect(hub.requests.some((r) => r.startsWith(`GET /api/models/${TINY}/tree/${model.revision}?recursive=true`))).toBe(true);
  });

  it('accepts a commit as the revision', async () => {
    const commit = hub.commitOf(TINY);
    const model = await resolveModel({ repo: TINY, revision: commit }, { hubUrl: hub.url });
    expect(model).toMatchObject({ requestedRevision: commit, revision: commit });
  });

  it('follows the paged tree listing', async () => {
    const paged = await startHubServer({ repos: { 'ferry-test/paged': { files: Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`d/shard-${i}.txt`, Buffer.from(`s${i}`)])) } }, treePageSize: 3 });
    try {
      const model = await resolveModel({ repo: 'ferry-test/paged' }, { hubUrl: paged.url });
      expect(model.files).toHaveLength(7);
      expect(paged.requests.filter((r) => r.includes('/tree/')).length).toBe(3);
    } finally {
      await paged.stop();
    }
  });

  it('says "not found" for an unknown model or revision', async () => {
    const noRepo = await caught(resolveModel({ repo: 'ferry-test/nope' }, { hubUrl: hub.url }));
    expect(noRepo).toBeInstanceOf(FerryError);
    expect(noRepo.message).toMatch(/model or revision not found.*ferry-test\/nope@main/);
    const noRev = await caught(resolveModel({ repo: TINY, revision: 'no-such-branch' }, { hubUrl: hub.url }));
    expect(noRev.message).toMatch(/model or revision not found.*no-such-branch/);
  });

  it('validates the reference and the token before any request', async () => {
    const before = hub.requests.length;
    await expect(resolveModel({ repo: '../etc' }, { hubUrl: hub.url })).rejects.toThrow(/Invalid model reference/);
    await expect(resolveModel({ repo: TINY }, { hubUrl: hub.url, accessToken: 'not-a-token' })).rejects.toThrow(/token/);
    expect(hub.requests.length).toBe(before);
  });

  it('says when the hub cannot be reached', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const err = await caught(resolveModel({ repo: TINY }, { hubUrl: url }));
    expect(err).toBeInstanceOf(FerryError);
    expect(err.message).toContain(`Cannot reach the hub at ${url}`);
  });

  it('refuses a listing with a hostile path, naming it', async () => {
    const err = await caught(resolveModel({ repo: 'ferry-test/evil' }, { hubUrl: hub.url }));
    expect(err).toBeInstanceOf(FerryError);
    expect(err.message).toContain('"../evil"');
  });

  it.each(['/etc/passwd', 'a/../../evil', 'dir\\..\\evil', 'nul\u0000byte', 'C:evil'])('refuses hostile path %j', async (path) => {
    const evil = await startHubServer({ repos: { 'x/y': { files: { [path]: Buffer.from('x') } } } });
    try {
      const err = await caught(resolveModel({ repo: 'x/y' }, { hubUrl: evil.url }));
      expect(err).toBeInstanceOf(FerryError);
      expect(err.message).toContain(JSON.stringify(path));
    } finally {
      await evil.stop();
    }
  });
});

describe('downloadModelFile', () => {
  let model: ResolvedModel;
  beforeAll(async () => {
    model = await resolveModel({ repo: TINY }, { hubUrl: hub.url });
  });
  const file = (path: string) => model.files.find((f) => f.path === path)!;

  it('downloads a small model, LFS and not, nested and oddly named, verified', async () => {
    const dir = join(dest.path, 'tiny');
    let bytes = 0;
    for (const f of model.files) {
      const got = await downloadModelFile(model, f, modelFileDest(dir, f.path), { hubUrl: hub.url, onBytes: (n) => (bytes += n) });
      const onDisk = readFileSync(join(dir, f.path));
      expect(got).toEqual({ sha256: sha256(onDisk), size: f.size });
      expect(onDisk.length).toBe(f.size);
      if (f.lfs) expect(got.sha256).toBe(f.sha256);
    }
    expect(sha256(readFileSync(join(dir, 'config.json')))).toBe(sha256(config));
    expect(sha256(readFileSync(join(dir, 'tokenizer/tokenizer.json')))).toBe(sha256(tokenizer));
    expect(readFileSync(join(dir, 'weird name #1.txt'), 'utf8')).toBe('spaces and hash');
    expect(bytes).toBe(model.files.reduce((s, f) => s + f.size, 0));
    expect(listing(dir).filter((p) => p.endsWith('.tmp'))).toEqual([]);
    // LFS bytes came from the CDN redirect, at the pinned commit.
    expect(hub.requests).toContain(`GET /${TINY}/resolve/${model.revision}/model.safetensors`);
    expect(hub.requests.some((r) => r.startsWith(`GET /cdn/${model.revision}/${TINY}/model.safetensors?sig=`))).toBe(true);
    expect(hub.requests.some((r) => r.includes('/resolve/main/'))).toBe(false);
    // The empty file needed no request at all.
    expect(hub.requests.some((r) => r.includes('empty.txt'))).toBe(false);
  });

  it.each(['model.safetensors', 'config.json'])('rejects tampered bytes of %s and leaves nothing behind', async (path) => {
    hub.tamper(TINY, path);
    const dir = join(dest.path, `tampered-${path}`);
    const err = await caught(downloadModelFile(model, file(path), join(dir, path), { hubUrl: hub.url }));
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toMatch(path === 'config.json' ? /git blob id/ : /sha256/);
    expect(listing(dir)).toEqual([]);
  });

  it('cancels through the AbortSignal and leaves no partial file', async () => {
    const big = await resolveModel({ repo: 'ferry-test/big' }, { hubUrl: hub.url });
    const dir = join(dest.path, 'canceled');
    const ac = new AbortController();
    let seen = 0;
    const err = await caught(
      downloadModelFile(big, big.files[0]!, join(dir, 'model.safetensors'), {
        hubUrl: hub.url,
        signal: ac.signal,
        onBytes: (n) => {
          seen += n;
          ac.abort();
        },
      }),
    );
    expect(err).toBeInstanceOf(CanceledError);
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(big.files[0]!.size);
    expect(listing(dir)).toEqual([]);
  });

  it('cancels before any request when the signal is already aborted', async () => {
    const before = hub.requests.length;
    const ac = new AbortController();
    ac.abort();
    await expect(downloadModelFile(model, file('config.json'), join(dest.path, 'pre', 'c.json'), { hubUrl: hub.url, signal: ac.signal })).rejects.toBeInstanceOf(CanceledError);
    await expect(resolveModel({ repo: TINY }, { hubUrl: hub.url, signal: ac.signal })).rejects.toBeInstanceOf(CanceledError);
    expect(hub.requests.length).toBe(before);
  });

  it('streams a larger generated LFS file and verifies it', async () => {
    const big = await resolveModel({ repo: 'ferry-test/big' }, { hubUrl: hub.url });
    const got = await downloadModelFile(big, big.files[0]!, join(dest.path, 'big', 'model.safetensors'), { hubUrl: hub.url });
    expect(got).toEqual({ sha256: big.files[0]!.sha256, size: 32 << 20 });
  });

  it('downloads at the pinned commit even after the branch moves', async () => {
    const pinned = await resolveModel({ repo: 'ferry-test/moving' }, { hubUrl: hub.url });
    const next = await hub.push('ferry-test/moving', { 'config.json': Buffer.from('{"v":2}') });
    expect(next).not.toBe(pinned.revision);
    const out = join(dest.path, 'moving', 'config.json');
    await downloadModelFile(pinned, pinned.files[0]!, out, { hubUrl: hub.url });
    expect(readFileSync(out, 'utf8')).toBe('{"v":1}');
    const again = await resolveModel({ repo: 'ferry-test/moving' }, { hubUrl: hub.url });
    expect(again.revision).toBe(next);
  });
});

describe('gated models', () => {
  const GATED = 'ferry-test/gated';

  it('without a token: a clear error that asks for one', async () => {
    const err = await caught(resolveModel({ repo: GATED }, { hubUrl: hub.url }));
    expect(err).toBeInstanceOf(FerryError);
    expect(err.message).toMatch(/gated/);
    expect(err.hint).toMatch(/access token/);
  });

  it('with a token: resolves and downloads', async () => {
    const model = await resolveModel({ repo: GATED }, { hubUrl: hub.url, accessToken: TOKEN });
    const dir = join(dest.path, 'gated');
    for (const f of model.files) {
      const got = await downloadModelFile(model, f, join(dir, f.path), { hubUrl: hub.url, accessToken: TOKEN });
      expect(got.size).toBe(f.size);
    }
    expect(listing(dir)).toEqual(['config.json', 'model.safetensors']);
  });

  it('a download the hub refuses (401/403) says to use a token', async () => {
    const model = await resolveModel({ repo: GATED }, { hubUrl: hub.url, accessToken: TOKEN });
    const f = model.files.find((x) => x.path === 'model.safetensors')!;
    const noToken = await caught(downloadModelFile(model, f, join(dest.path, 'g401', f.path), { hubUrl: hub.url }));
    expect(noToken.message).toMatch(/refused access.*HTTP 401/);
    expect(noToken.hint).toMatch(/gated.*access token/);
    const wrong = await caught(downloadModelFile(model, f, join(dest.path, 'g403', f.path), { hubUrl: hub.url, accessToken: 'hf_wrong' }));
    expect(wrong.message).toMatch(/HTTP 403/);
    expect(listing(join(dest.path, 'g401'))).toEqual([]);
  });
});

describe('hub stand-in protocol', () => {
  it('serves HEAD, Range and the LFS redirect like the hub', async () => {
    const commit = hub.commitOf(TINY);
    const head = await fetch(`${hub.url}/${TINY}/resolve/main/model.safetensors`, { method: 'HEAD', redirect: 'manual' });
    expect(head.status).toBe(302);
    expect(head.headers.get('x-repo-commit')).toBe(commit);
    expect(head.headers.get('x-linked-size')).toBe(String(weights.size));
    expect(head.headers.get('x-linked-etag')).toMatch(/^"[0-9a-f]{64}"$/);
    const cdn = head.headers.get('location')!;
    const ranged = await fetch(cdn, { headers: { Range: 'bytes=100-199' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 100-199/${weights.size}`);
    const part = Buffer.from(await ranged.arrayBuffer());
    const whole = Buffer.from(await (await fetch(cdn)).arrayBuffer());
    expect(part.equals(whole.subarray(100, 200))).toBe(true);
    const tail = await fetch(cdn, { headers: { Range: 'bytes=-5' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(whole.subarray(-5))).toBe(true);
    expect((await fetch(`${cdn}x`)).status).toBe(403);
    const plain = await fetch(`${hub.url}/${TINY}/resolve/${commit}/config.json`, { headers: { Range: 'bytes=0-0' } });
    expect(plain.status).toBe(206);
    expect(plain.headers.get('etag')).toMatch(/^"[0-9a-f]{40}"$/);
    expect(Buffer.from(await plain.arrayBuffer()).equals(config.subarray(0, 1))).toBe(true);
    expect((await fetch(`${hub.url}/${TINY}/resolve/main/config.json`, { headers: { Range: `bytes=${config.length}-` } })).status).toBe(416);
  });
});
