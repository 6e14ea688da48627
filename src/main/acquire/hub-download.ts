import { Agent, request, type Dispatcher } from 'undici';
import { FerryError, CanceledError } from '../../shared/errors';
import { session, type HubOptions } from '../hub/hub-client';
import { toHubError, type HubContext } from '../hub/hub-errors';
import { assertSafeModelPath, encodeModelPath } from '../hub/model-path';
import { writeVerified, writeVerifiedResumable, type Expected, type ResumeOptions, type Written } from '../io/verified-write';
import type { LockModel, LockModelFile } from '../recipes/lock-schema';
import { createProxyDispatcher, proxyConfigured } from './proxy';
import { rangedStream } from './ranged-source';
import { TransientError } from './retry';
import { stallTimeouts } from './stall-timeout';

/** Files larger than this are fetched as several ranges at once (where the server answers ranges). */
export const RANGED_ABOVE = 1 << 30;
/** Bytes per range request, and requests in flight: at most (RANGE_PARALLEL − 1) × RANGE_SEGMENT wait in memory. */
const RANGE_SEGMENT = 16 << 20;
const RANGE_PARALLEL = 4;

export function modelFileExpected(file: LockModelFile): Expected {
  if (file.sha256) return { sha256: file.sha256, size: file.size };
  if (file.gitOid) return { gitSha1: file.gitOid, size: file.size };
  throw new FerryError(`No checksum for ${file.path} in the lock`, 'Resolve the recipe again.');
}

async function* guarded(body: AsyncIterable<Uint8Array>, what: string, signal?: AbortSignal): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of body) yield chunk;
  } catch (err) {
    if (signal?.aborted) throw new CanceledError();
    throw new TransientError(`${what}: the connection to the hub broke: ${(err as Error).message}`);
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
let agent: Dispatcher | undefined;

/** GET through the hub's redirects (to its storage); Authorization is not sent to another origin, nor over a downgrade to http. */
async function hubGet(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Dispatcher.ResponseData> {
  agent ??= proxyConfigured() ? await createProxyDispatcher() : new Agent({ connections: 16, ...stallTimeouts() });
  let at = new URL(url);
  for (let hops = 0; ; hops++) {
    const res = await request(at, { method: 'GET', headers, signal, dispatcher: agent });
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode) || typeof location !== 'string') return res;
    await res.body.dump().catch(() => undefined);
    const next = new URL(location, at);
    if (hops >= 5 || (next.protocol !== 'https:' && next.protocol !== 'http:') || (at.protocol === 'https:' && next.protocol === 'http:')) {
      throw new FerryError(`The hub redirected ${at.host} to ${next.protocol}//${next.host}, which Ferry does not follow`, 'Check the hub URL; the source may be untrustworthy.');
    }
    if (next.origin !== at.origin) delete headers.authorization;
    at = next;
  }
}

/**
 * Downloads one model file at the locked commit, resumably: a partial `.tmp` from an earlier
 * (killed or canceled) run is continued with `Range: bytes=N-`, through the hub's redirect to
 * its storage. A file over `rangedAbove` (default RANGED_ABOVE) is fetched as several ranges at
 * once, handed on in order (ranged-source.ts), so it is still hashed in the same pass. 5xx/429 answers and dropped connections are TransientErrors (retried by the caller).
 */
export async function downloadModelFileResumable(
  model: Pick<LockModel, 'repo' | 'revision'>,
  file: LockModelFile,
  destPath: string,
  opts: HubOptions & ResumeOptions & { rangedAbove?: number },
): Promise<Written> {
  assertSafeModelPath(file.path);
  const expected = modelFileExpected(file);
  const s = session(opts);
  const ctx: HubContext = { hubUrl: s.hubUrl, repo: model.repo, revision: model.revision, path: file.path, signal: opts.signal };
  const what = `${file.path} in ${model.repo}@${model.revision.slice(0, 12)}`;
  const url = `${s.hubUrl}/${model.repo}/resolve/${model.revision}/${encodeModelPath(file.path)}`;
  try {
    if (opts.signal?.aborted) throw new CanceledError();
    if (file.size === 0) return await writeVerified((async function* () {})(), destPath, expected, opts);
    // One GET (with `Range` from `start`, up to `end` when given), answered 200 or 206 with the
    // range asked for and the size the lock says; anything else is refused or retried.
    const get = async (start: number, end: number | undefined, signal: AbortSignal | undefined): Promise<{ body: AsyncIterable<Uint8Array>; start: number; ranged: boolean }> => {
      const headers: Record<string, string> = {};
      if (start > 0 || end !== undefined) headers.range = `bytes=${start}-${end ?? ''}`;
      if (s.accessToken) headers.authorization = `Bearer ${s.accessToken}`;
      let res: Dispatcher.ResponseData;
      try {
        res = await hubGet(url, headers, signal);
      } catch (err) {
        if (opts.signal?.aborted) throw new CanceledError();
        if (err instanceof FerryError) throw err;
        throw new TransientError(`${what}: cannot reach the hub at ${s.hubUrl}: ${(err as { code?: string }).code ?? (err as Error).message}`);
      }
      const status = res.statusCode;
      if (status !== 200 && status !== 206) {
        await res.body.dump().catch(() => undefined);
        if (status >= 500 || status === 429) throw new TransientError(`${what}: the hub answered HTTP ${status}`);
        throw toHubError(new Error(`HTTP ${status}`), ctx, status);
      }
      const range = String(res.headers['content-range'] ?? '');
      const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(range);
      const got = status === 206 ? { start: Number(m?.[1] ?? NaN), end: Number(m?.[2] ?? NaN), total: Number(m?.[3] ?? NaN) } : { start: 0, end: file.size - 1, total: Number(res.headers['content-length'] ?? file.size) };
      const wantEnd = status === 206 ? (end ?? file.size - 1) : got.end;
      if ((status === 206 && (got.start !== start || got.end !== wantEnd)) || got.total !== file.size) {
        await res.body.dump().catch(() => undefined);
        throw new FerryError(`${what}: the hub serves ${got.total} bytes from ${got.start} (HTTP ${status} ${range}), the lock says ${file.size} bytes`, 'Resolve the recipe again; the listing and the files disagree.');
      }
      return { body: guarded(res.body, what, opts.signal), start: got.start, ranged: status === 206 };
    };
    return await writeVerifiedResumable(
      async (offset) => {
        if (file.size <= (opts.rangedAbove ?? RANGED_ABOVE) || file.size - offset <= RANGE_SEGMENT) return get(offset, undefined, opts.signal);
        // Large files: several ranges at once where the hub (or its storage) answers ranges; else one stream.
        const first = await get(offset, offset + RANGE_SEGMENT - 1, opts.signal);
        if (!first.ranged) return first;
        let firstUsed = false;
        const body = rangedStream(
          (start, end, signal) => {
            if (!firstUsed && start === offset) {
              firstUsed = true;
              return Promise.resolve(first);
            }
            return get(start, end, signal);
          },
          offset,
          file.size,
          { segment: RANGE_SEGMENT, parallel: RANGE_PARALLEL, what, ...(opts.signal ? { signal: opts.signal } : {}) },
        );
        return { body, start: offset };
      },
      destPath,
      expected,
      opts,
    );
  } catch (err) {
    throw toHubError(err, ctx);
  }
}
