import { CanceledError, FerryError, isAbortError } from '../../shared/errors';
import { IntegrityError, ShortTransferError } from '../io/verified-write';
import { RegistryError } from '../registry/registry-errors';
import { sleep } from '../core/sleep';

/** A failure worth retrying: a 5xx or 429, a dropped connection, a transfer that ended early. */
export class TransientError extends FerryError {
  constructor(message: string, hint = 'Retry; Ferry continues where the transfer stopped.') {
    super(message, hint, 'TransientError');
  }
}

const NETWORK = /^(Connection refused by|Request to .* failed|Timed out talking to)/;

export function isTransient(err: unknown): boolean {
  if (isAbortError(err)) return false;
  if (err instanceof TransientError || err instanceof ShortTransferError) return true;
  if (err instanceof RegistryError) return err.status === undefined ? NETWORK.test(err.message) : err.status >= 500 || err.status === 429;
  return false;
}

export interface RetryOptions {
  /** Attempts in all (default 5). */
  attempts?: number;
  /** First backoff in ms, doubled each time with ±50% jitter (default 500; FERRY_RETRY_BASE_MS overrides). */
  baseMs?: number;
  signal?: AbortSignal;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** The last transient failure, saying how often it was tried (the error keeps its class, status and hint). */
function gaveUp(err: unknown, attempts: number): unknown {
  if (err instanceof Error && attempts > 1 && !/ \(gave up after \d+ attempts\)$/.test(err.message)) err.message = `${err.message} (gave up after ${attempts} attempts)`;
  return err;
}

/**
 * Runs `fn` until it succeeds, retrying transient failures with exponential backoff. Content
 * that failed verification is retried once (the partial is gone, so it starts over).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const base = opts.baseMs ?? Number(process.env.FERRY_RETRY_BASE_MS ?? 500);
  let integrityRetried = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal?.aborted) throw new CanceledError();
      const integrityOnce = err instanceof IntegrityError && !integrityRetried;
      if (!isTransient(err) && !integrityOnce) throw err;
      if (attempt >= attempts) throw gaveUp(err, attempt);
      if (integrityOnce) integrityRetried = true;
      const delay = Math.round(base * 2 ** (attempt - 1) * (0.5 + Math.random()));
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay, opts.signal);
    }
  }
}
