import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { withEntrypoint } from './standin-images';
import { makeBusyboxLayer, makeLayerTar, writeOciImage, type TestImage } from './test-images';

/**
 * A stand-in for the Ollama server (no binary, no network here): a loopback HTTP server that
 * speaks the parts of Ollama's API Ferry uses and reads an OLLAMA_MODELS folder the way Ollama
 * does, on every request:
 * - walks manifests/<host>/<namespace>/<model>/<tag>;
 * - name `<model>:<tag>` for registry.ollama.ai/library, `<namespace>/<model>:<tag>` for another
 *   namespace there, else `<host>/<namespace>/<model>:<tag>`;
 * - digest = hex sha256 of the manifest file; size = config + layers;
 * - a model whose config blob (blobs/sha256-<hex>) is missing or not JSON is left out, as Ollama does.
 * GET /, GET /api/version, GET /api/tags, POST /api/show.
 */

export const OLLAMA_STANDIN_VERSION = '0.12.3';
const DEFAULT_HOST = 'registry.ollama.ai';

interface Found {
  host: string;
  namespace: string;
  model: string;
  tag: string;
  name: string;
  digest: string;
  size: number;
  modifiedAt: string;
  manifest: { config: Desc; layers: Desc[] };
  config: Record<string, unknown>;
}
interface Desc {
  mediaType: string;
  digest: string;
  size: number;
}

export function displayName(host: string, namespace: string, model: string, tag: string): string {
  if (host.toLowerCase() !== DEFAULT_HOST) return `${host}/${namespace}/${model}:${tag}`;
  if (namespace.toLowerCase() !== 'library') return `${namespace}/${model}:${tag}`;
  return `${model}:${tag}`;
}

async function dirs(p: string): Promise<string[]> {
  return (await readdir(p, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name);
}

const blobFile = (root: string, digest: string): string => join(root, 'blobs', digest.replace(':', '-'));

/** The models Ollama would list from `root`, read afresh. */
export async function readModels(root: string): Promise<Found[]> {
  const out: Found[] = [];
  const base = join(root, 'manifests');
  for (const host of await dirs(base))
    for (const namespace of await dirs(join(base, host)))
      for (const model of await dirs(join(base, host, namespace))) {
        const at = join(base, host, namespace, model);
        for (const e of await readdir(at, { withFileTypes: true })) {
          if (!e.isFile()) continue;
          const file = join(at, e.name);
          try {
            const bytes = await readFile(file);
            const manifest = JSON.parse(bytes.toString('utf8')) as Found['manifest'];
            const config = JSON.parse(await readFile(blobFile(root, manifest.config.digest), 'utf8')) as Record<string, unknown>;
            out.push({
              host,
              namespace,
              model,
              tag: e.name,
              name: displayName(host, namespace, model, e.name),
              digest: createHash('sha256').update(bytes).digest('hex'),
              size: [manifest.config, ...manifest.layers].reduce((s, l) => s + l.size, 0),
              modifiedAt: (await stat(file)).mtime.toISOString(),
              manifest,
              config,
            });
          } catch {
            // Ollama: "bad manifest" / "bad manifest config" → left out of the list
          }
        }
      }
  return out;
}

function details(f: Found): Record<string, unknown> {
  const c = f.config;
  return {
    parent_model: '',
    format: c.model_format ?? 'gguf',
    family: c.model_family ?? '',
    families: c.model_families ?? null,
    parameter_size: c.model_type ?? '',
    quantization_level: c.file_type ?? '',
  };
}

/** `llama3.1` → llama3.1:latest; full names accepted too. */
function matches(f: Found, wanted: string): boolean {
  let w = wanted.trim();
  if (!/:[^/]+$/.test(w)) w += ':latest';
  const full = `${f.host}/${f.namespace}/${f.model}:${f.tag}`.toLowerCase();
  return w.toLowerCase() === f.name.toLowerCase() || w.toLowerCase() === full;
}

async function body(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const c of req as AsyncIterable<Buffer>) s += c.toString('utf8');
  return s;
}

async function handle(root: string, req: IncomingMessage, res: ServerResponse, version: string): Promise<void> {
  const json = (status: number, v: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(v));
  };
  const path = (req.url ?? '/').split('?')[0];
  if ((req.method === 'GET' || req.method === 'HEAD') && path === '/') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    return void res.end('Ollama is running');
  }
  if (req.method === 'GET' && path === '/api/version') return json(200, { version });
  if (req.method === 'GET' && path === '/api/tags') {
    const models = (await readModels(root)).sort((a, b) => (a.modifiedAt < b.modifiedAt ? 1 : -1));
    return json(200, { models: models.map((f) => ({ name: f.name, model: f.name, modified_at: f.modifiedAt, size: f.size, digest: f.digest, details: details(f) })) });
  }
  if (req.method === 'POST' && path === '/api/show') {
    let ask: { model?: string; name?: string };
    try {
      ask = JSON.parse(await body(req)) as typeof ask;
    } catch {
      return json(400, { error: 'invalid request body' });
    }
    const wanted = ask.model ?? ask.name ?? '';
    const f = (await readModels(root)).find((m) => matches(m, wanted));
    if (!f) return json(404, { error: `model '${wanted}' not found` });
    const template = f.manifest.layers.find((l) => l.mediaType === 'application/vnd.ollama.image.template');
    return json(200, {
      modelfile: `# Modelfile generated by "ollama show"\nFROM ${blobFile(root, f.manifest.layers[0]?.digest ?? '')}\n`,
      template: template ? await readFile(blobFile(root, template.digest), 'utf8') : '',
      parameters: '',
      details: details(f),
      model_info: {},
      modified_at: f.modifiedAt,
    });
  }
  json(404, { error: 'not found' });
}

export interface OllamaStandin {
  url: string;
  port: number;
  requests: string[];
  close(): Promise<void>;
}

/** Serves `modelsDir` on 127.0.0.1 (a free port unless given). */
export async function startOllamaStandin(modelsDir: string, opts: { port?: number; version?: string } = {}): Promise<OllamaStandin> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handle(modelsDir, req, res, opts.version ?? OLLAMA_STANDIN_VERSION).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: err.message }));
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export interface FakeOllamaModel {
  /** e.g. tiny:1b, or 127.0.0.1:5000/acme/coder:q4 */
  name: string;
  manifestPath: string;
  digest: string;
  size: number;
  blobs: { digest: string; size: number; file: string }[];
}

const hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Writes a small model into an Ollama models folder as `ollama pull` leaves it: a "gguf" blob of
 * `ggufBytes` random bytes (starting with GGUF), a template, a config, and the manifest under
 * manifests/<host>/<namespace>/<model>/<tag>, all with real digests.
 */
export function writeFakeOllamaModel(dir: string, host: string, namespace: string, model: string, tag: string, ggufBytes = 3 << 20): FakeOllamaModel {
  const gguf = Buffer.concat([Buffer.from('GGUF'), randomBytes(Math.max(0, ggufBytes - 4))]);
  const template = Buffer.from(`{{ .System }}\n{{ .Prompt }}\n# ${model}:${tag}`);
  const config = Buffer.from(JSON.stringify({ model_format: 'gguf', model_family: 'llama', model_families: ['llama'], model_type: '1B', file_type: 'Q4_K_M', architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${hex(gguf)}`, `sha256:${hex(template)}`] } }));
  const desc = (b: Buffer, mediaType: string): Desc => ({ mediaType, digest: `sha256:${hex(b)}`, size: b.length });
  const layers = [desc(gguf, 'application/vnd.ollama.image.model'), desc(template, 'application/vnd.ollama.image.template')];
  const cfg = desc(config, 'application/vnd.docker.container.image.v1+json');
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: cfg, layers }));
  mkdirSync(join(dir, 'blobs'), { recursive: true });
  const blobs = [gguf, template, config].map((b) => {
    const file = join(dir, 'blobs', `sha256-${hex(b)}`);
    writeFileSync(file, b);
    return { digest: `sha256:${hex(b)}`, size: b.length, file };
  });
  const manifestPath = join(dir, 'manifests', host, namespace, model, tag);
  mkdirSync(join(manifestPath, '..'), { recursive: true });
  writeFileSync(manifestPath, manifest);
  return { name: displayName(host, namespace, model, tag), manifestPath, digest: `sha256:${hex(manifest)}`, size: gguf.length + template.length + config.length, blobs };
}

/**
 * The same stand-in as a container for a recipe's `ollama` container (busybox httpd, nothing
 * pulled): every second it re-reads $OLLAMA_MODELS (default /root/.ollama/models) the way the
 * server above does — blobs must be present for a model to be listed — and serves /,
 * /api/version and /api/tags on 11434. POST /api/show is not served.
 */
export const OLLAMA_STANDIN_SCRIPT = `#!/bin/sh
M=\${OLLAMA_MODELS:-/root/.ollama/models}
mkdir -p /www/api
printf '{"version":"${OLLAMA_STANDIN_VERSION}"}' > /www/api/version
printf 'Ollama is running' > /www/index.html
tags() {
  out='{"models":['; sep=
  for f in "$M"/manifests/*/*/*/*; do
    [ -f "$f" ] || continue
    rel=\${f#"$M"/manifests/}
    host=\${rel%%/*}; rest=\${rel#*/}; ns=\${rest%%/*}; rest=\${rest#*/}; model=\${rest%%/*}; tag=\${rest#*/}
    if [ "$host" != ${DEFAULT_HOST} ]; then name="$host/$ns/$model:$tag"; elif [ "$ns" != library ]; then name="$ns/$model:$tag"; else name="$model:$tag"; fi
    digest=$(sha256sum "$f" | cut -d' ' -f1)
    size=0; ok=1
    for d in $(grep -o '"digest": *"sha256:[0-9a-f]*"' "$f" | sed 's/.*sha256://; s/"//g'); do
      b="$M/blobs/sha256-$d"
      [ -f "$b" ] || { ok=0; break; }
      size=$((size + $(stat -c %s "$b")))
    done
    [ $ok = 1 ] || continue
    out="$out$sep{\\"name\\":\\"$name\\",\\"model\\":\\"$name\\",\\"size\\":$size,\\"digest\\":\\"$digest\\",\\"details\\":{\\"format\\":\\"gguf\\"}}"; sep=,
  done
  printf '%s]}' "$out"
}
tags > /www/api/tags
echo "ollama stand-in: serving $M on 11434"
httpd -f -p 11434 -h /www &
pid=$!
trap 'kill $pid 2>/dev/null; exit 0' TERM INT
while kill -0 $pid 2>/dev/null; do tags > /www/api/tags.tmp && mv /www/api/tags.tmp /www/api/tags; sleep 1; done
`;

/** Builds the Ollama stand-in image (default name `ollama:latest`) into the OCI layout at `layoutDir`. */
export async function buildOllamaStandinImage(layoutDir: string, name = 'ollama:latest'): Promise<TestImage> {
  const base = await makeBusyboxLayer();
  const layer = await makeLayerTar([
    ...['mkdir', 'printf', 'grep', 'sed', 'cut', 'stat', 'sha256sum', 'mv', 'kill'].map((a) => ({ path: `bin/${a}`, type: 'symlink' as const, linkname: 'busybox' })),
    { path: 'usr/', type: 'directory' },
    { path: 'usr/local/', type: 'directory' },
    { path: 'usr/local/bin/', type: 'directory' },
    { path: 'usr/local/bin/ollama-standin', content: OLLAMA_STANDIN_SCRIPT, mode: 0o755 },
    { path: 'www/', type: 'directory' },
  ]);
  const img = writeOciImage(layoutDir, { name, layers: [base, layer], cmd: [], exposedPorts: ['11434/tcp'] });
  return withEntrypoint(layoutDir, img, ['/usr/local/bin/ollama-standin']);
}
