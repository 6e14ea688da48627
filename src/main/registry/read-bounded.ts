import { FerryError } from '../../shared/errors';
import { discardBody, networkError, type ErrorContext } from './registry-errors';

/** Reads a response body into memory, refusing more than `max` bytes (declared or actual). */
export async function readBounded(body: AsyncIterable<unknown>, declared: number, max: number, ctx: ErrorContext, signal?: AbortSignal): Promise<Buffer> {
  const tooBig = () => new FerryError(`${ctx.registry}/${ctx.repository}: ${ctx.what} ${ctx.ref ?? ''} is larger than ${max} bytes`, 'Refusing to read an oversized document; the source may be hostile.');
  if (declared > max) {
    discardBody(body);
    throw tooBig();
  }
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of body) {
      const b = Buffer.from(c as Uint8Array);
      n += b.byteLength;
      if (n > max) throw tooBig();
      chunks.push(b);
    }
  } catch (err) {
    discardBody(body);
    if (err instanceof FerryError) throw err;
    throw networkError(err, ctx.registry, signal);
  }
  return Buffer.concat(chunks);
}
