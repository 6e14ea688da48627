/** How long a transfer may go without a byte (or an answer) before it counts as stalled and is retried. */
export const DEFAULT_STALL_TIMEOUT_MS = 60_000;

/** The stall timeout in ms: FERRY_STALL_TIMEOUT_MS when set to a positive number, else 60 s. */
export function stallTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.FERRY_STALL_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_STALL_TIMEOUT_MS;
}

/** undici dispatcher options that turn a silent peer into an error after the stall timeout. */
export function stallTimeouts(): { headersTimeout: number; bodyTimeout: number } {
  const ms = stallTimeoutMs();
  return { headersTimeout: ms, bodyTimeout: ms };
}
