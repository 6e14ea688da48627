import type { HubApiError } from '@huggingface/hub';
import { CanceledError, FerryError, isAbortError } from '../../shared/errors';

export const TOKEN_HINT =
  'If the model is gated or private, accept its terms on the hub with your account and supply a hub access ' +
  'token (hf_...) that can read it; also check the model id, since the hub answers 401 for repositories it does not show you.';

export interface HubContext {
  hubUrl: string;
  repo: string;
  revision: string;
  /** The model file concerned, when there is one. */
  path?: string;
  signal?: AbortSignal;
}

const LOCAL_FS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EFBIG']);

/** What the hub said, short: its own message without the library's URL trailer. */
function hubMessage(err: HubApiError): string {
  const data = err.data as { error?: unknown; message?: unknown } | undefined;
  const said = typeof data?.error === 'string' ? data.error : typeof data?.message === 'string' ? data.message : '';
  return said.trim().slice(0, 300);
}

function forStatus(status: number, ctx: HubContext, said: string): FerryError {
  const what = ctx.path === undefined ? `${ctx.repo}@${ctx.revision}` : `${ctx.path} in ${ctx.repo}@${ctx.revision}`;
  const detail = said ? ` (hub says: ${said})` : '';
  if (status === 401 || status === 403) {
    return new FerryError(`The hub refused access to ${what} (HTTP ${status})${detail}`, TOKEN_HINT);
  }
  if (status === 404) {
    return new FerryError(
      `Hub model or revision not found: ${what}${detail}`,
      'Check the model id and the branch, tag or commit on the hub.',
    );
  }
  if (status === 429) {
    return new FerryError(`The hub is rate-limiting requests for ${what}${detail}`, 'Wait a few minutes and retry; a hub access token raises the limit.');
  }
  return new FerryError(`Hub request for ${what} failed with HTTP ${status}${detail}`, 'Retry later; if it persists, check the hub URL.');
}

/**
 * Turns whatever the hub library or fetch threw into a FerryError the user can act on.
 * `lastStatus` is the status of the last failed HTTP response, for errors the library
 * flattened into a string (stream errors).
 */
export function toHubError(err: unknown, ctx: HubContext, lastStatus?: number): Error {
  if (ctx.signal?.aborted || isAbortError(err)) return err instanceof CanceledError ? err : new CanceledError();
  if (err instanceof FerryError) return err;
  // A local file-system failure (disk full, permissions) is not the hub's: it keeps its code.
  if (LOCAL_FS.has(String((err as { code?: unknown } | undefined)?.code))) return err as Error;
  // Loaded here (an error path), not at the top: see the start-up note in hub-client.ts.
  const { HubApiError, InvalidApiResponseFormatError } = require('@huggingface/hub') as typeof import('@huggingface/hub');
  if (err instanceof HubApiError) return forStatus(err.statusCode, ctx, hubMessage(err));
  if (lastStatus !== undefined) return forStatus(lastStatus, ctx, '');
  if (err instanceof InvalidApiResponseFormatError) {
    return new FerryError(`Unexpected response from the hub at ${ctx.hubUrl}: ${err.message}`, 'Check that the hub URL points at a Hugging Face compatible hub.');
  }
  if (err instanceof TypeError && err.message === 'fetch failed') {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return new FerryError(
      `Cannot reach the hub at ${ctx.hubUrl}: ${cause?.code ?? cause?.message ?? err.message}`,
      'Check the network connection and the hub URL.',
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new FerryError(`Hub transfer for ${ctx.path ?? ctx.repo} failed: ${message}`, 'Retry; if it persists, check the hub URL.');
}
