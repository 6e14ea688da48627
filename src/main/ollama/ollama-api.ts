import { request } from 'undici';
import { z } from 'zod';
import type { OllamaRestored } from '../../shared/api';
import { CanceledError, FerryError, UsageError } from '../../shared/errors';

// The parts of Ollama's HTTP API Ferry uses, against whatever URL the admin gives
// (default http://127.0.0.1:11434): GET /api/version, GET /api/tags, POST /api/show.

export const DEFAULT_OLLAMA_URL = 'http://127.0.0.1:11434';
const TIMEOUT_MS = 15_000;
const MAX_BODY = 16 << 20;

const TagSchema = z.object({
  name: z.string(),
  model: z.string().optional(),
  modified_at: z.string().optional(),
  size: z.number(),
  digest: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
const TagsSchema = z.object({ models: z.array(TagSchema).nullable().transform((m) => m ?? []) });
const VersionSchema = z.object({ version: z.string() });
const ShowSchema = z.object({ details: z.record(z.string(), z.unknown()).optional(), modelfile: z.string().optional(), template: z.string().optional(), parameters: z.string().optional(), model_info: z.record(z.string(), z.unknown()).optional() });

export type OllamaTag = z.infer<typeof TagSchema>;
export type OllamaShow = z.infer<typeof ShowSchema>;

export interface ApiOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** `http(s)://host[:port]` without a trailing slash; anything else is a usage error. */
export function ollamaBaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`Invalid Ollama URL "${url}"`, `Use http://HOST:PORT, e.g. ${DEFAULT_OLLAMA_URL}.`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`Invalid Ollama URL "${url}": only http and https`, `Use http://HOST:PORT, e.g. ${DEFAULT_OLLAMA_URL}.`);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

async function call<T>(baseUrl: string, path: string, schema: z.ZodType<T>, opts: ApiOptions, body?: unknown): Promise<T | undefined> {
  const url = `${ollamaBaseUrl(baseUrl)}${path}`;
  const timeout = opts.timeoutMs ?? TIMEOUT_MS;
  let res;
  try {
    res = await request(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: timeout,
      bodyTimeout: timeout,
      signal: opts.signal,
    });
  } catch (err) {
    if (opts.signal?.aborted) throw new CanceledError();
    throw new FerryError(`Cannot reach Ollama at ${url}: ${(err as Error).message}`, 'Check that Ollama is running and listening there (OLLAMA_HOST), or give its address with --ollama-url.');
  }
  let text = '';
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > MAX_BODY) {
      res.body.destroy();
      throw new FerryError(`Ollama at ${url} answered with more than 16 MiB`, 'Is this really an Ollama server?');
    }
  }
  if (res.statusCode === 404 && body !== undefined) return undefined;
  if (res.statusCode !== 200) throw new FerryError(`Ollama at ${url} answered HTTP ${res.statusCode}: ${text.slice(0, 200)}`, 'Check the Ollama server log.');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FerryError(`Ollama at ${url} did not answer JSON: ${text.slice(0, 120)}`, 'Is this really an Ollama server?');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new FerryError(`Ollama at ${url} answered an unexpected document: ${parsed.error.issues[0]?.message ?? ''}`, 'Is this really an Ollama server (or a much older version)?');
  return parsed.data;
}

/** GET /api/tags: the models Ollama lists (name, digest = hex sha256 of the manifest, size). */
export async function listTags(baseUrl: string, opts: ApiOptions = {}): Promise<OllamaTag[]> {
  return (await call(baseUrl, '/api/tags', TagsSchema, opts))!.models;
}

/** GET /api/version. */
export async function ollamaVersion(baseUrl: string, opts: ApiOptions = {}): Promise<string> {
  return (await call(baseUrl, '/api/version', VersionSchema, opts))!.version;
}

/** POST /api/show; undefined when Ollama does not know the model. */
export async function showModel(baseUrl: string, model: string, opts: ApiOptions = {}): Promise<OllamaShow | undefined> {
  return call(baseUrl, '/api/show', ShowSchema, opts, { model, name: model });
}

/** Ollama's short name (`llama3.1:8b`) and the full one (`registry.ollama.ai/library/llama3.1:8b`) name the same model. */
function sameName(listed: string, name: string): boolean {
  const norm = (s: string): string => s.toLowerCase().replace(/^registry\.ollama\.ai\/(library\/)?/, '');
  return norm(listed) === norm(name);
}

/**
 * Confirms through the API that Ollama lists every restored model with the restored manifest's
 * digest and size; names the first that is missing or differs.
 */
export async function confirmRestored(baseUrl: string, restored: Pick<OllamaRestored, 'name' | 'digest' | 'size'>[], opts: ApiOptions = {}): Promise<{ url: string; version: string; tags: OllamaTag[] }> {
  const url = ollamaBaseUrl(baseUrl);
  const version = await ollamaVersion(url, opts);
  const tags = await listTags(url, opts);
  for (const r of restored) {
    const t = tags.find((x) => sameName(x.name, r.name));
    if (!t) {
      throw new FerryError(`Ollama at ${url} does not list ${r.name} after the restore (it lists ${tags.map((x) => x.name).join(', ') || 'no model'})`, 'Check that this Ollama reads the folder the models were restored into (OLLAMA_MODELS), and restart it if it was started with another one.');
    }
    if (t.digest.replace(/^sha256:/, '') !== r.digest.replace(/^sha256:/, '') || t.size !== r.size) {
      throw new FerryError(`Ollama at ${url} lists ${r.name} with digest ${t.digest} and size ${t.size}, but the restored manifest is ${r.digest} (${r.size} bytes)`, 'Another manifest for this name is being read; check OLLAMA_MODELS of that server.');
    }
  }
  return { url, version, tags };
}
