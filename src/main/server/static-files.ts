import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** Serves the built renderer; any path outside `root` or unknown falls back to index.html. */
export async function serveStatic(root: string, urlPath: string, res: ServerResponse): Promise<void> {
  const base = resolve(root);
  let file = resolve(base, '.' + normalize(decodeURIComponent(urlPath)));
  if (file !== base && !file.startsWith(base + sep)) file = join(base, 'index.html');
  let s = await stat(file).catch(() => null);
  if (!s || s.isDirectory()) {
    file = join(base, 'index.html');
    s = await stat(file).catch(() => null);
  }
  if (!s) {
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`Renderer not built: ${file} missing. Run "npm run build".`);
    return;
  }
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': s.size,
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  createReadStream(file).pipe(res);
}
