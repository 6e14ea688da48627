import { z } from 'zod';
import { FerryError } from '../../shared/errors';
import { readBounded } from './read-bounded';
import { assertRepository } from './reference';
import { errorFromResponse, type ErrorContext } from './registry-errors';
import { header, type RegistryTransport } from './transport';

const MAX_PAGE_BYTES = 8 << 20;
const MAX_PAGES = 1000;
const MAX_TAGS = 200_000;
const pageSchema = z.looseObject({ tags: z.array(z.string().max(128)).max(100_000).nullable().optional() });

/** The `rel="next"` target of a Link header, or undefined. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /(?:^|;)\s*rel="?next"?\s*(?:;|$)/i.test(m[2]!)) return m[1];
  }
  return undefined;
}

/**
 * Lists every tag of `repo` (`GET /v2/<repo>/tags/list?n=`), following `Link: <…>; rel="next"`
 * pages on the same origin, as `skopeo list-tags` does.
 */
export async function listTags(t: RegistryTransport, ctx: ErrorContext, repo: string, opts: { signal?: AbortSignal; pageSize?: number } = {}): Promise<string[]> {
  assertRepository(repo);
  return listPaged(t, ctx, { first: `/v2/${repo}/tags/list?n=${opts.pageSize ?? 1000}`, scope: `repository:${repo}:pull`, where: `${t.registry}/${repo}`, what: 'tag list', schema: pageSchema, pick: (p) => p.tags ?? [] }, opts.signal);
}

const catalogSchema = z.looseObject({ repositories: z.array(z.string().max(255)).max(100_000).nullable().optional() });

/** Every repository of the registry (`GET /v2/_catalog?n=`), across `Link` pages. */
export function listCatalog(t: RegistryTransport, ctx: ErrorContext, opts: { signal?: AbortSignal; pageSize?: number } = {}): Promise<string[]> {
  return listPaged(t, ctx, { first: `/v2/_catalog?n=${opts.pageSize ?? 1000}`, scope: 'registry:catalog:*', where: t.registry, what: 'repository catalog', schema: catalogSchema, pick: (p) => p.repositories ?? [] }, opts.signal);
}

interface PagedList<S extends z.ZodType> {
  first: string;
  scope: string;
  where: string;
  what: string;
  schema: S;
  pick: (page: z.infer<S>) => string[];
}

async function listPaged<S extends z.ZodType>(t: RegistryTransport, ctx: ErrorContext, l: PagedList<S>, signal?: AbortSignal): Promise<string[]> {
  const tags: string[] = [];
  const repo = l.where;
  let url: string | URL | undefined = l.first;
  for (let page = 0; url !== undefined; page++) {
    if (page >= MAX_PAGES || tags.length > MAX_TAGS) throw new FerryError(`${repo}: the ${l.what} does not end`, 'The registry paginates without end; it may be hostile.');
    const { res, url: at } = await t.send({ method: 'GET', url, scopes: [l.scope], headers: { accept: 'application/json' }, signal, followRedirects: true });
    if (res.statusCode !== 200) throw await errorFromResponse(res, ctx);
    const body = await readBounded(res.body, Number(header(res, 'content-length') ?? -1), MAX_PAGE_BYTES, ctx, signal);
    let parsed: z.infer<S>;
    try {
      parsed = l.schema.parse(JSON.parse(body.toString('utf8')));
    } catch {
      throw new FerryError(`${repo}: the ${l.what} is not valid JSON`, `The registry answered something other than a ${l.what}.`);
    }
    tags.push(...l.pick(parsed));
    const next = nextLink(header(res, 'link'));
    url = undefined;
    if (next !== undefined) {
      const u = new URL(next, at);
      if (u.origin !== at.origin) throw new FerryError(`${repo}: the ${l.what}'s next page is on another host (${u.host})`, 'Refusing to follow it.');
      url = u;
    }
  }
  return [...new Set(tags)];
}
