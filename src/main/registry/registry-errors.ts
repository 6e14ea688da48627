import type { Dispatcher } from 'undici';
import { CanceledError, FerryError } from '../../shared/errors';

/** A registry answered with an error status, or could not be reached. */
export class RegistryError extends FerryError {
  constructor(
    message: string,
    hint: string | undefined,
    readonly status?: number,
    readonly codes: string[] = [],
  ) {
    super(message, hint, 'RegistryError');
  }
}

export interface ErrorContext {
  registry: string;
  repository?: string;
  /** What was asked for, used in the message and to pick the 404 hint. */
  what: 'manifest' | 'blob' | 'upload' | 'token' | 'ping';
  /** Tag, digest or URL of the thing asked for. */
  ref?: string;
  push?: boolean;
  hadCredentials?: boolean;
}

const MAX_ERROR_BODY = 64 * 1024;

/** Drops a response body without reading it (and without an unhandled 'error' event). */
export function discardBody(body: object): void {
  const b = body as { on?: (ev: string, fn: () => void) => void; destroy?: () => void };
  b.on?.('error', () => undefined);
  b.destroy?.();
}

/** Reads at most 64 KiB of an error body, then drops the rest. */
export async function readErrorBody(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of body) {
      const b = Buffer.from(chunk as Uint8Array);
      chunks.push(b);
      n += b.byteLength;
      if (n >= MAX_ERROR_BODY) break;
    }
  } catch {
    /* the status is what matters */
  } finally {
    discardBody(body);
  }
  return Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8');
}

function registryCodes(text: string): { codes: string[]; detail: string } {
  try {
    const v = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
    if (Array.isArray(v.errors)) {
      const errs = v.errors.slice(0, 5).filter((e) => e && typeof e === 'object');
      const codes = errs.map((e) => String(e.code ?? '')).filter(Boolean);
      const detail = errs.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
      return { codes, detail };
    }
  } catch {
    /* not JSON */
  }
  return { codes: [], detail: text.replace(/\s+/g, ' ').trim().slice(0, 200) };
}

function subject(ctx: ErrorContext): string {
  const repo = ctx.repository ? `${ctx.registry}/${ctx.repository}` : ctx.registry;
  switch (ctx.what) {
    case 'manifest':
      return `manifest ${repo}${ctx.ref ? (ctx.ref.startsWith('sha256:') ? `@${ctx.ref}` : `:${ctx.ref}`) : ''}`;
    case 'blob':
      return `blob ${ctx.ref ?? ''} in ${repo}`;
    case 'upload':
      return `upload to ${repo}`;
    case 'token':
      return `token for ${repo}`;
    default:
      return repo;
  }
}

/** Turns an error status into a RegistryError with an actionable hint. Consumes the body. */
export async function errorFromResponse(res: Pick<Dispatcher.ResponseData, 'statusCode' | 'body'>, ctx: ErrorContext): Promise<RegistryError> {
  const status = res.statusCode;
  const text = await readErrorBody(res.body);
  const { codes, detail } = registryCodes(text);
  const what = subject(ctx);
  const suffix = detail ? ` (${detail})` : '';
  const repo = ctx.repository ?? 'the repository';
  if (status === 401) {
    return new RegistryError(
      `${ctx.hadCredentials ? 'Authentication failed' : 'Authentication required'} for ${what}: HTTP 401${suffix}`,
      `Check credentials for ${ctx.registry}: pass --username/--password, or store them once with: ferry credentials add ${ctx.registry} --username USER --password-stdin`,
      status,
      codes,
    );
  }
  if (status === 403) {
    return new RegistryError(`Access denied to ${what}: HTTP 403${suffix}`, `Check credentials and that the account may ${ctx.push ? 'push to' : 'pull from'} ${repo} on ${ctx.registry}.`, status, codes);
  }
  if (status === 404) {
    const hint =
      ctx.what === 'manifest'
        ? 'Image not found: check the repository name and the tag or digest.'
        : ctx.what === 'blob'
          ? 'The registry lacks content the manifest references; the image on the source may be incomplete.'
          : `Check that ${ctx.registry} is an OCI distribution registry and the repository name is right.`;
    return new RegistryError(`Not found: ${what}: HTTP 404${suffix}`, hint, status, codes);
  }
  if (status === 429) {
    return new RegistryError(`Rate limited by ${ctx.registry} for ${what}: HTTP 429`, 'Wait and retry; authenticated pulls usually have higher limits.', status, codes);
  }
  if (status === 400 && /HTTPS server/i.test(text)) {
    return new RegistryError(`${ctx.registry} speaks HTTPS, but Ferry used plain HTTP`, `Do not name ${ctx.registry} as insecure; pass --ca FILE if its certificate is self-signed.`, status, codes);
  }
  if (status >= 500) {
    return new RegistryError(`Registry server error for ${what}: HTTP ${status}${suffix}`, `Retry later; if it persists check the logs and storage of ${ctx.registry}.`, status, codes);
  }
  return new RegistryError(`Unexpected HTTP ${status} for ${what}${suffix}`, undefined, status, codes);
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|HOSTNAME_MISMATCH)/;

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/** Maps a transport failure (refused, TLS, DNS, abort) to a FerryError naming the host. */
export function networkError(err: unknown, hostPort: string, signal?: AbortSignal): Error {
  if (err instanceof FerryError) return err;
  if (signal?.aborted) return new CanceledError();
  const codes = errorCodes(err);
  const msg = err instanceof Error ? err.message : String(err);
  const has = (c: string) => codes.includes(c);
  if (has('ECONNREFUSED')) {
    return new RegistryError(`Connection refused by ${hostPort}`, `Check that the registry is running and listening on ${hostPort}.`);
  }
  if (codes.some((c) => TLS_CODE.test(c))) {
    return new RegistryError(`TLS certificate of ${hostPort} is not trusted: ${msg}`, `If the registry uses a private or self-signed CA, pass --ca FILE with that CA certificate (PEM).`);
  }
  if (has('EPROTO') || /wrong version number|ssl/i.test(msg)) {
    return new RegistryError(`TLS handshake with ${hostPort} failed: ${msg}`, `If ${hostPort} only serves plain HTTP, name it as insecure; otherwise pass --ca FILE.`);
  }
  if (has('ENOTFOUND') || has('EAI_AGAIN')) {
    return new RegistryError(`Cannot resolve ${hostPort}`, 'Check the registry host name and DNS.');
  }
  if (has('UND_ERR_CONNECT_TIMEOUT') || has('ETIMEDOUT') || has('UND_ERR_HEADERS_TIMEOUT') || has('UND_ERR_BODY_TIMEOUT')) {
    return new RegistryError(`Timed out talking to ${hostPort}`, `Check the network path to ${hostPort}.`);
  }
  return new RegistryError(`Request to ${hostPort} failed: ${msg}${codes.length ? ` (${codes[0]})` : ''}`, `Check the network path to ${hostPort}.`);
}
