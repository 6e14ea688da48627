import { CanceledError, FerryError } from '../../shared/errors';
import { DEFAULT_HUB_URL } from '../settings/defaults';
import { proxiedFetch } from '../acquire/proxy';
import { IntegrityError, writeVerified, type Written } from '../io/verified-write';
import { toHubError, type HubContext } from './hub-errors';
import { checkModelRef, isCommitSha } from './model-ref';
import { assertSafeModelPath, encodeModelPath } from './model-path';

// Start-up: @huggingface/hub loads at the first hub request, not with this module (test/unit/cli-lazy.test.ts).
const hubLib = (): typeof import('@huggingface/hub') => require('@huggingface/hub') as typeof import('@huggingface/hub');

export { DEFAULT_HUB_URL };
/** A hostile hub could page forever; no real model has anywhere near this many files. */
const MAX_FILES = 100_000;

export interface HubOptions {
  /** Default https://huggingface.co */
  hubUrl?: string;
  accessToken?: string;
  signal?: AbortSignal;
}

export interface ModelFile {
  path: string;
  size: number;
  lfs: boolean;
  /** LFS oid, hex. */
  sha256?: string;
  /** Git blob sha1 (for LFS files, of the pointer file). */
  gitOid: string;
}

export interface ResolvedModel {
  repo: string;
  requestedRevision: string;
  /** 40-hex commit the revision pointed at; everything is listed and downloaded at it. */
  revision: string;
  files: ModelFile[];
}

export interface Session {
  hubUrl: string;
  accessToken?: string;
  fetch: typeof fetch;
  /** Status of the last non-2xx response this session saw. */
  lastStatus(): number | undefined;
}

/** Checks the hub URL and token; its fetch honours the signal and HTTPS_PROXY/NO_PROXY. */
export function session(opts: HubOptions): Session {
  const hubUrl = (opts.hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(hubUrl);
  } catch {
    throw new FerryError(`Invalid hub URL ${JSON.stringify(hubUrl)}`, 'Give an http(s) URL such as https://huggingface.co.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new FerryError(`Invalid hub URL ${JSON.stringify(hubUrl)}: not http(s)`, 'Give an http(s) URL such as https://huggingface.co.');
  }
  const token = opts.accessToken || undefined;
  if (token !== undefined && !/^hf_[A-Za-z0-9_-]+$/.test(token)) {
    throw new FerryError('The hub access token is malformed', 'Hub access tokens start with "hf_"; create one in your hub account settings.');
  }
  let status: number | undefined;
  const signal = opts.signal;
  const base = proxiedFetch();
  const fetchWithSignal: typeof fetch = async (input, init) => {
    const res = await base(input, { ...init, signal: signal ?? init?.signal ?? null });
    if (!res.ok) status = res.status;
    return res;
  };
  return { hubUrl, accessToken: token, fetch: fetchWithSignal, lastStatus: () => status };
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CanceledError();
}

function badListing(repo: string, why: string): FerryError {
  return new FerryError(`The hub sent an invalid file listing for ${repo}: ${why}`, 'Check the hub URL; the source may be untrustworthy.');
}

const isSize = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Validates one tree entry from the hub and turns it into a ModelFile. */
function toModelFile(repo: string, entry: { path: string; size: number; oid?: string; lfs?: { oid: string; size: number }; xetHash?: string }): ModelFile {
  assertSafeModelPath(entry.path);
  const name = JSON.stringify(entry.path);
  if (typeof entry.oid !== 'string' || !/^[0-9a-f]{40}$/.test(entry.oid)) throw badListing(repo, `${name} has no valid git oid`);
  if (entry.lfs !== undefined) {
    if (typeof entry.lfs.oid !== 'string' || !/^[0-9a-f]{64}$/.test(entry.lfs.oid)) {
      throw badListing(repo, `${name} has no valid LFS sha256`);
    }
    if (!isSize(entry.lfs.size)) throw badListing(repo, `${name} has an invalid size`);
    return { path: entry.path, size: entry.lfs.size, lfs: true, sha256: entry.lfs.oid, gitOid: entry.oid };
  }
  if (entry.xetHash !== undefined) throw badListing(repo, `${name} is stored in Xet without an LFS sha256 to verify it against`);
  if (!isSize(entry.size)) throw badListing(repo, `${name} has an invalid size`);
  return { path: entry.path, size: entry.size, lfs: false, gitOid: entry.oid };
}

/**
 * Pins `ref.revision` (default `main`) to its commit, then lists every file at that commit,
 * so a branch that moves later cannot change what gets downloaded.
 */
export async function resolveModel(ref: { repo: string; revision?: string }, opts: HubOptions): Promise<ResolvedModel> {
  const { repo, revision: requestedRevision } = checkModelRef(ref);
  const s = session(opts);
  const ctx: HubContext = { hubUrl: s.hubUrl, repo, revision: requestedRevision, signal: opts.signal };
  const common = { hubUrl: s.hubUrl, accessToken: s.accessToken, fetch: s.fetch };
  try {
    throwIfAborted(opts.signal);
    const info = await hubLib().modelInfo({ name: repo, revision: requestedRevision, additionalFields: ['sha'], ...common });
    const commit = info.sha;
    if (typeof commit !== 'string' || !isCommitSha(commit)) {
      throw new FerryError(`The hub did not return a commit for ${repo}@${requestedRevision}`, 'Check that the hub URL points at a Hugging Face compatible hub.');
    }
    if (isCommitSha(requestedRevision.toLowerCase()) && commit !== requestedRevision.toLowerCase()) {
      throw new FerryError(`The hub resolved commit ${requestedRevision} of ${repo} to a different commit ${commit}`, 'Treat the hub as untrusted.');
    }
    if (info.gated && !s.accessToken) {
      throw new FerryError(`${repo} is a gated model: downloading it needs a hub access token`, 'Accept the model\'s terms on the hub with your account, then supply a hub access token (hf_...).');
    }
    const files: ModelFile[] = [];
    const seen = new Set<string>();
    for await (const entry of hubLib().listFiles({ repo, revision: commit, recursive: true, expand: false, ...common })) {
      throwIfAborted(opts.signal);
      if (entry.type === 'directory') continue;
      if (entry.type !== 'file') throw badListing(repo, `${JSON.stringify(entry.path)} has unknown type ${JSON.stringify(entry.type)}`);
      const file = toModelFile(repo, entry);
      if (seen.has(file.path)) throw badListing(repo, `${JSON.stringify(file.path)} is listed twice`);
      seen.add(file.path);
      files.push(file);
      if (files.length > MAX_FILES) throw badListing(repo, `more than ${MAX_FILES} files`);
    }
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { repo, requestedRevision, revision: commit, files };
  } catch (err) {
    throw toHubError(err, ctx);
  }
}

async function* empty(): AsyncIterable<Uint8Array> {}

/** Iterates a web stream, turning the string reasons the hub library aborts with into errors. */
async function* chunks(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) yield chunk;
  } catch (err) {
    throw err instanceof Error ? err : new Error(String(err));
  }
}

/**
 * Streams one file of `model` (at its pinned commit) to `destPath` through writeVerified:
 * LFS files are checked against their sha256 oid, other files against their git blob sha1,
 * both plus size; the bytes land in `destPath.tmp` and are renamed only when they match.
 * `destPath` is the file's final path: use `modelFileDest(dir, file.path)` to place it
 * under a folder safely.
 */
export async function downloadModelFile(
  model: ResolvedModel,
  file: ModelFile,
  destPath: string,
  opts: HubOptions & { onBytes?: (n: number) => void },
): Promise<Written> {
  assertSafeModelPath(file.path);
  if (!isCommitSha(model.revision)) {
    throw new FerryError(`Model ${model.repo} is not pinned to a commit (${model.revision})`, 'Resolve the model with resolveModel first.');
  }
  const expected = file.lfs
    ? { sha256: file.sha256, size: file.size }
    : { gitSha1: file.gitOid, size: file.size };
  if (file.lfs ? !/^[0-9a-f]{64}$/.test(file.sha256 ?? '') : !/^[0-9a-f]{40}$/.test(file.gitOid)) {
    throw new FerryError(`No usable checksum for ${file.path} in ${model.repo}`, 'Resolve the model again.');
  }
  const s = session(opts);
  const ctx: HubContext = { hubUrl: s.hubUrl, repo: model.repo, revision: model.revision, path: file.path, signal: opts.signal };
  const transfer = { signal: opts.signal, onBytes: opts.onBytes };
  try {
    throwIfAborted(opts.signal);
    if (file.size === 0) return await writeVerified(empty(), destPath, expected, transfer);
    const params = {
      repo: model.repo,
      path: encodeModelPath(file.path),
      revision: model.revision,
      hubUrl: s.hubUrl,
      accessToken: s.accessToken,
      fetch: s.fetch,
    };
    const info = await hubLib().fileDownloadInfo(params);
    if (info === null) {
      throw new FerryError(`Hub file not found: ${file.path} in ${model.repo}@${model.revision}`, 'Resolve the model again; the listing and the files disagree.');
    }
    if (info.size !== file.size) {
      throw new IntegrityError(`${file.path}: the hub serves ${info.size} bytes but listed ${file.size}`, destPath);
    }
    const blob = await hubLib().downloadFile({ ...params, downloadInfo: info, xet: false });
    if (blob === null) throw new FerryError(`Hub file not found: ${file.path} in ${model.repo}@${model.revision}`);
    return await writeVerified(chunks(blob.stream()), destPath, expected, transfer);
  } catch (err) {
    throw toHubError(err, ctx, s.lastStatus());
  }
}
