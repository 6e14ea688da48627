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
  const tags: string[] = [];
  let url: string | URL | undefined = `/v2/${repo}/tags/list?n=${opts.pageSize ?? 1000}`;
  for (let page = 0; url !== undefined; page++) {
    if (page >= MAX_PAGES || tags.length > MAX_TAGS) throw new FerryError(`${t.registry}/${repo}: the tag list does not end`, 'The registry paginates without end; it may be hostile.');
    const { res, url: at } = await t.send({ method: 'GET', url, scopes: [`repository:${repo}:pull`], headers: { accept: 'application/json' }, signal: opts.signal, followRedirects: true });
    if (res.statusCode !== 200) throw await errorFromResponse(res, ctx);
    const body = await readBounded(res.body, Number(header(res, 'content-length') ?? -1), MAX_PAGE_BYTES, ctx, opts.signal);
    let parsed: z.infer<typeof pageSchema>;
    try {
      parsed = pageSchema.parse(JSON.parse(body.toString('utf8')));
    } catch {
      throw new FerryError(`${t.registry}/${repo}: the tag list is not valid JSON`, 'The registry answered something other than a tag list.');
    }
    tags.push(...(parsed.tags ?? []));
    const next = nextLink(header(res, 'link'));
    url = undefined;
    if (next !== undefined) {
      const u = new URL(next, at);
      if (u.origin !== at.origin) throw new FerryError(`${t.registry}/${repo}: the tag list's next page is on another host (${u.host})`, 'Refusing to follow it.');
      url = u;
    }
  }
  return [...new Set(tags)];
}
