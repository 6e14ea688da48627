import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The headless API answers only requests that carry the per-run token, name this server
 * in Host (no DNS rebinding), and come from this origin or none (no CORS, no other sites).
 */
export function guardRequest(req: IncomingMessage, token: string, allowedHosts: Set<string>, scheme: string): string | null {
  const host = req.headers.host ?? '';
  if (!allowedHosts.has(host.toLowerCase())) return `Host "${host}" is not this server`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `${scheme}://${host}`) return `Origin "${origin}" is not allowed`;
  const auth = req.headers.authorization ?? '';
  const given = Buffer.from(auth.startsWith('Bearer ') ? auth.slice(7) : '');
  const want = Buffer.from(token);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return 'Missing or wrong access token';
  return null;
}
