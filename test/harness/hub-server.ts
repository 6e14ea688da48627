// A small Hugging Face hub stand-in for tests: exactly the endpoints @huggingface/hub calls
// for modelInfo, listFiles, fileDownloadInfo and downloadFile, on 127.0.0.1.
//
//   GET       /api/models/:org/:name[/revision/:rev]       model info, with `sha`
//   GET       /api/models/:org/:name/tree/:rev[/:path]      ?recursive=&expand=&cursor= (Link paging)
//   GET|HEAD  /:org/:name/resolve/:rev/:path                Range/206, ETag, X-Repo-Commit; LFS files
//                                                           302 to /cdn/... with X-Linked-Size/-Etag
//   GET|HEAD  /cdn/:commit/:org/:name/:path?sig=            signed "CDN" URL serving LFS bytes
//
// `{size, seed}` files are MiB blocks derived from an AES-CTR keystream: deterministic, seekable
// for Range, generated while streaming (never held in memory) and hashed once at startup by streaming.
import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type HubFileSpec = Buffer | { size: number; seed: number };

export interface HubRepoSpec {
  files: Record<string, HubFileSpec>;
  /** Files of at least this many bytes are stored in LFS. Default 1024. */
  lfsThreshold?: number;
  /** Files need `Authorization: Bearer <token>` (info and tree stay public, as on the real hub). */
  gated?: { token: string };
}

export interface HubServerOptions {
  repos: Record<string, HubRepoSpec>;
  /** Tree entries per page (the real hub: 1000, or 50 with expand). */
  treePageSize?: number;
}

export interface HubServer {
  url: string;
  /** The commit `main` currently points at. */
  commitOf(repo: string): string;
  /** `METHOD /path?query` of every request, in arrival order. */
  requests: string[];
  /** Corrupt (or, with `false`, stop corrupting) one byte of a file on the wire; size is unchanged. */
  tamper(repo: string, path: string, enabled?: boolean): void;
  /** Commits a new set of files and moves `main` to it; older commits stay servable. Returns the new commit. */
  push(repo: string, files: Record<string, HubFileSpec>): Promise<string>;
  stop(): Promise<void>;
}

interface StoredFile {
  size: number;
  sha256: string;
  gitOid: string;
  lfs?: { oid: string; size: number; pointerSize: number };
  read(start: number, end: number): AsyncIterable<Buffer>;
}

interface Repo {
  name: string;
  lfsThreshold: number;
  gated?: { token: string };
  commits: Map<string, Map<string, StoredFile>>;
  main: string;
}

const CHUNK = 1 << 16;
const DATE = '2024-01-01T00:00:00.000Z';

async function* bufferReader(buf: Buffer, start: number, end: number): AsyncIterable<Buffer> {
  for (let off = start; off < end; off += CHUNK) yield buf.subarray(off, Math.min(end, off + CHUNK));
}

const BLOCK = 1 << 20;
const seedBlocks = new Map<number, Buffer>();

/** One pseudo-random MiB per seed (AES-128-CTR keystream), computed once. */
function seedBlock(seed: number): Buffer {
  let block = seedBlocks.get(seed);
  if (!block) {
    const key = createHash('sha256').update(`ferry-hub-seed:${seed}`).digest().subarray(0, 16);
    block = createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(BLOCK));
    seedBlocks.set(seed, block);
  }
  return block;
}

/**
 * Bytes [start, end) of the generated file `seed`: MiB block i is the seed's block with its
 * first 8 bytes XORed with i, so every block differs, any offset is cheap to reach, and
 * producing it is a copy, fast enough to serve GiBs in tests.
 */
async function* generatedReader(seed: number, start: number, end: number): AsyncIterable<Buffer> {
  const base = seedBlock(seed);
  for (let off = start; off < end; ) {
    const index = Math.floor(off / BLOCK);
    const block = Buffer.from(base);
    block.writeBigUInt64BE(block.readBigUInt64BE(0) ^ BigInt(index), 0);
    const from = off - index * BLOCK;
    const to = Math.min(BLOCK, end - index * BLOCK);
    yield block.subarray(from, to);
    off += to - from;
  }
}

async function storeFile(spec: HubFileSpec, lfsThreshold: number): Promise<StoredFile> {
  const size = Buffer.isBuffer(spec) ? spec.length : spec.size;
  const read = Buffer.isBuffer(spec)
    ? (s: number, e: number) => bufferReader(spec, s, e)
    : (s: number, e: number) => generatedReader(spec.seed, s, e);
  const sha256 = createHash('sha256');
  const git = createHash('sha1').update(`blob ${size}\0`);
  const isLfs = size >= lfsThreshold;
  for await (const chunk of read(0, size)) {
    sha256.update(chunk);
    if (!isLfs) git.update(chunk);
  }
  const oid = sha256.digest('hex');
  if (!isLfs) return { size, sha256: oid, gitOid: git.digest('hex'), read };
  const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;
  const gitOid = createHash('sha1').update(`blob ${pointer.length}\0${pointer}`).digest('hex');
  return { size, sha256: oid, gitOid, lfs: { oid, size, pointerSize: pointer.length }, read };
}

async function storeSnapshot(files: Record<string, HubFileSpec>, lfsThreshold: number): Promise<Map<string, StoredFile>> {
  const out = new Map<string, StoredFile>();
  for (const path of Object.keys(files).sort()) out.set(path, await storeFile(files[path]!, lfsThreshold));
  return out;
}

function commitId(repo: string, parent: string, files: Map<string, StoredFile>): string {
  const h = createHash('sha1').update(`ferry-hub\0${repo}\0${parent}\0`);
  for (const [path, f] of files) h.update(`${path}\0${f.gitOid}\0`);
  return h.digest('hex');
}

/** Files and (for every parent folder) directories under `prefix`, as tree entries. */
function treeEntries(files: Map<string, StoredFile>, prefix: string, recursive: boolean, expand: boolean, commit: string): object[] | undefined {
  const base = prefix ? `${prefix}/` : '';
  const dirs = new Set<string>();
  const out: { path: string; entry: object }[] = [];
  let found = prefix === '';
  for (const [path, f] of files) {
    if (!path.startsWith(base)) continue;
    found = true;
    const rest = path.slice(base.length).split('/');
    const depth = recursive ? rest.length - 1 : Math.min(1, rest.length - 1);
    for (let i = 1; i <= depth; i++) dirs.add(base + rest.slice(0, i).join('/'));
    if (!recursive && rest.length > 1) continue;
    const extra = expand ? { lastCommit: { id: commit, title: 'Upload model', date: DATE } } : {};
    out.push({ path, entry: { type: 'file', oid: f.gitOid, size: f.size, path, ...(f.lfs ? { lfs: f.lfs } : {}), ...extra } });
  }
  if (!found) return undefined;
  for (const d of dirs) {
    const oid = createHash('sha1').update(`tree\0${commit}\0${d}`).digest('hex');
    out.push({ path: d, entry: { type: 'directory', oid, size: 0, path: d } });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((e) => e.entry);
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'bad' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // unsupported forms: serve the whole file
  if (m[1] === '') {
    const n = Math.min(Number(m[2]), size);
    return n === 0 ? 'bad' : { start: size - n, end: size };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size : Math.min(Number(m[2]) + 1, size);
  return start >= size || end <= start ? 'bad' : { start, end };
}

/** Flips one byte (at size/2) of the stream passing through [start, end). */
async function* tampered(src: AsyncIterable<Buffer>, start: number, at: number): AsyncIterable<Buffer> {
  let off = start;
  for await (const chunk of src) {
    if (at >= off && at < off + chunk.length) {
      const copy = Buffer.from(chunk);
      copy[at - off] = copy[at - off]! ^ 0xff;
      yield copy;
    } else yield chunk;
    off += chunk.length;
  }
}

export async function startHubServer(opts: HubServerOptions): Promise<HubServer> {
  const repos = new Map<string, Repo>();
  for (const [name, spec] of Object.entries(opts.repos)) {
    const lfsThreshold = spec.lfsThreshold ?? 1024;
    const files = await storeSnapshot(spec.files, lfsThreshold);
    const main = commitId(name, '', files);
    repos.set(name, { name, lfsThreshold, gated: spec.gated, commits: new Map([[main, files]]), main });
  }
  const requests: string[] = [];
  const tamperedFiles = new Set<string>();
  const secret = randomBytes(16);
  const pageSize = opts.treePageSize;
  let baseUrl = '';

  const sign = (commit: string, repo: string, path: string) =>
    createHmac('sha256', secret).update(`${commit}\0${repo}\0${path}`).digest('hex');

  function fail(res: ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { 'Content-Type': 'application/json', 'X-Error-Code': code, 'X-Error-Message': message });
    res.end(JSON.stringify({ error: message }));
  }

  function revisionOf(repo: Repo, rev: string): string | undefined {
    if (rev === 'main' || rev === 'HEAD' || rev === 'refs/heads/main') return repo.main;
    return repo.commits.has(rev) ? rev : undefined;
  }

  function authorized(req: IncomingMessage, res: ServerResponse, repo: Repo): boolean {
    if (!repo.gated) return true;
    const auth = req.headers.authorization;
    if (auth === `Bearer ${repo.gated.token}`) return true;
    const msg = `Access to model ${repo.name} is restricted. You must have access to it and be authenticated to access it.`;
    fail(res, auth ? 403 : 401, 'GatedRepo', msg);
    return false;
  }

  async function sendFile(req: IncomingMessage, res: ServerResponse, repo: Repo, path: string, f: StoredFile, headers: Record<string, string>): Promise<void> {
    const range = parseRange(req.headers.range, f.size);
    if (range === 'bad') {
      res.writeHead(416, { 'Content-Range': `bytes */${f.size}`, ...headers });
      res.end();
      return;
    }
    const { start, end } = range ?? { start: 0, end: f.size };
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(end - start),
      'Accept-Ranges': 'bytes',
      ...(range ? { 'Content-Range': `bytes ${start}-${end - 1}/${f.size}` } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let body = f.read(start, end);
    if (tamperedFiles.has(`${repo.name}\0${path}`)) body = tampered(body, start, Math.floor(f.size / 2));
    await pipeline(Readable.from(body), res).catch(() => undefined); // the client may hang up
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    requests.push(`${method} ${req.url}`);
    const url = new URL(req.url ?? '/', baseUrl);
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (method !== 'GET' && method !== 'HEAD') return fail(res, 405, 'MethodNotAllowed', 'Method not allowed');

    if (parts[0] === 'cdn' && parts.length >= 5) {
      const [, commit, org, name, ...rest] = parts as [string, string, string, string, ...string[]];
      const repoName = `${org}/${name}`;
      const path = rest.join('/');
      const f = repos.get(repoName)?.commits.get(commit)?.get(path);
      if (!f?.lfs || url.searchParams.get('sig') !== sign(commit, repoName, path)) {
        res.writeHead(403, { 'Content-Type': 'application/xml' });
        res.end('<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
        return;
      }
      return sendFile(req, res, repos.get(repoName)!, path, f, { ETag: `"${f.sha256}"` });
    }

    if (parts[0] === 'api' && parts[1] === 'models' && parts.length >= 4) {
      const repo = repos.get(`${parts[2]}/${parts[3]}`);
      if (!repo) return fail(res, 404, 'RepoNotFound', 'Repository not found');
      const op = parts[4];
      if (op === undefined || op === 'revision') {
        const rev = op === undefined ? 'main' : parts.slice(5).join('/');
        const commit = revisionOf(repo, rev);
        if (!commit) return fail(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
        const files = repo.commits.get(commit)!;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({
          _id: createHash('sha1').update(repo.name).digest('hex').slice(0, 24),
          id: repo.name,
          author: repo.name.split('/')[0],
          sha: commit,
          private: false,
          gated: repo.gated ? 'manual' : false,
          disabled: false,
          downloads: 0,
          likes: 0,
          lastModified: DATE,
          createdAt: DATE,
          pipeline_tag: 'text-generation',
          library_name: 'transformers',
          tags: [],
          siblings: [...files.keys()].map((rfilename) => ({ rfilename })),
        }));
        return;
      }
      if (op === 'tree' && parts.length >= 6) {
        const commit = revisionOf(repo, parts[5]!);
        if (!commit) return fail(res, 404, 'RevisionNotFound', `Invalid rev id: ${parts[5]}`);
        const recursive = ['1', 'true'].includes(url.searchParams.get('recursive') ?? '');
        const expand = ['1', 'true'].includes(url.searchParams.get('expand') ?? '');
        const prefix = parts.slice(6).join('/');
        const entries = treeEntries(repo.commits.get(commit)!, prefix, recursive, expand, commit);
        if (!entries) return fail(res, 404, 'EntryNotFound', `${prefix} does not exist on "${parts[5]}"`);
        const size = pageSize ?? (expand ? 50 : 1000);
        const cursor = Number(url.searchParams.get('cursor') ?? '0') || 0;
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (cursor + size < entries.length) {
          const next = new URL(url);
          next.searchParams.set('cursor', String(cursor + size));
          headers.Link = `<${next.href}>; rel="next"`;
        }
        res.writeHead(200, headers);
        res.end(JSON.stringify(entries.slice(cursor, cursor + size)));
        return;
      }
      return fail(res, 404, 'NotFound', 'Not found');
    }

    if (parts.length >= 5 && parts[2] === 'resolve') {
      const repo = repos.get(`${parts[0]}/${parts[1]}`);
      if (!repo) return fail(res, 404, 'RepoNotFound', 'Repository not found');
      if (!authorized(req, res, repo)) return;
      const commit = revisionOf(repo, parts[3]!);
      if (!commit) return fail(res, 404, 'RevisionNotFound', `Invalid rev id: ${parts[3]}`);
      const path = parts.slice(4).join('/');
      const f = repo.commits.get(commit)!.get(path);
      if (!f) return fail(res, 404, 'EntryNotFound', `${path} does not exist on "${parts[3]}"`);
      const headers = { 'X-Repo-Commit': commit, ETag: `"${f.gitOid}"` };
      if (!f.lfs) return sendFile(req, res, repo, path, f, headers);
      const cdnPath = ['cdn', commit, repo.name, path].join('/').split('/').map(encodeURIComponent).join('/');
      res.writeHead(302, {
        ...headers,
        Location: `${baseUrl}/${cdnPath}?sig=${sign(commit, repo.name, path)}`,
        'X-Linked-Size': String(f.size),
        'X-Linked-Etag': `"${f.sha256}"`,
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    fail(res, 404, 'NotFound', 'Not found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) fail(res, 500, 'InternalError', String(err));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const repoOf = (name: string): Repo => {
    const repo = repos.get(name);
    if (!repo) throw new Error(`hub stand-in: no repo ${name}`);
    return repo;
  };

  return {
    url: baseUrl,
    requests,
    commitOf: (name) => repoOf(name).main,
    tamper(name, path, enabled = true) {
      repoOf(name);
      if (enabled) tamperedFiles.add(`${name}\0${path}`);
      else tamperedFiles.delete(`${name}\0${path}`);
    },
    async push(name, files) {
      const repo = repoOf(name);
      const snapshot = await storeSnapshot(files, repo.lfsThreshold);
      const commit = commitId(name, repo.main, snapshot);
      repo.commits.set(commit, snapshot);
      repo.main = commit;
      return commit;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
