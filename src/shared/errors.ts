import type { ErrorShape } from './api';

/** An error the user can act on. `hint` says what to do. */
export class FerryError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    name = 'FerryError',
  ) {
    super(message);
    this.name = name;
  }
}

/** Bad input from the user (exit code 2 in the CLI). */
export class UsageError extends FerryError {
  constructor(message: string, hint?: string) {
    super(message, hint, 'UsageError');
  }
}

export class CanceledError extends FerryError {
  constructor(message = 'Canceled') {
    super(message, undefined, 'CanceledError');
  }
}

export function toErrorShape(err: unknown): ErrorShape {
  if (err instanceof Error) {
    const hint = (err as { hint?: unknown }).hint;
    return { name: err.name, message: err.message, ...(typeof hint === 'string' ? { hint } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

/** Rebuild an error that crossed a transport as {name, message, hint}. */
export function fromErrorShape(shape: ErrorShape): FerryError {
  return new FerryError(shape.message, shape.hint, shape.name);
}

export function isAbortError(err: unknown): boolean {
  return (
    err instanceof CanceledError ||
    (err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR'))
  );
}
