import { createReadStream } from 'node:fs';
import { CanceledError, FerryError } from '../../shared/errors';
import { writeVerified, writeVerifiedResumable } from '../io/verified-write';
import type { LockDescriptor } from '../recipes/lock-schema';
import { withRetry } from './retry';
import type { AcquireContext, Meter } from './tasks';

/**
 * Fetches one registry blob into `dest`, resumably: an earlier partial is continued with
 * Range, transient failures are retried with backoff, and `dest` appears only when the
 * sha256 and size match the digest (so a blob file's name is its verification).
 */
export async function fetchRegistryBlob(ctx: AcquireContext, source: { registry: string; repository: string }, desc: LockDescriptor, dest: string, meter: Meter): Promise<void> {
  if (desc.data !== undefined) {
    // Read (and verified) while resolving: written from the lock, checked again against the digest.
    const bytes = Buffer.from(desc.data, 'base64');
    await writeVerified((async function* () { yield bytes; })(), dest, { sha256: desc.digest.slice(7), size: desc.size }, { signal: ctx.signal, onBytes: meter.bytes });
    return;
  }
  const { client, repository } = ctx.registries.clientFor(source.registry, source.repository);
  const d = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  await named(withRetry(
    () =>
      writeVerifiedResumable((offset) => client.openBlobAt(repository, d, offset, { signal: ctx.signal }), dest, { sha256: desc.digest.slice(7), size: desc.size }, {
        signal: ctx.signal,
        onBytes: meter.bytes,
        onResumed: meter.resumed,
      }),
    { signal: ctx.signal },
  ), `blob ${desc.digest} of ${source.registry}/${source.repository}${client.registry !== source.registry ? ` (from ${client.registry}/${repository})` : ''}`);
}

/** Makes a failure name what was being fetched (the error keeps its class and hint). */
async function named<T>(p: Promise<T>, what: string): Promise<T> {
  try {
    return await p;
  } catch (err) {
    const digest = /sha256:[0-9a-f]{64}/.exec(what)?.[0] ?? what;
    if (err instanceof FerryError && !(err instanceof CanceledError) && !err.message.includes(digest)) err.message = `${what}: ${err.message}`;
    throw err;
  }
}

/** Copies a local file into `dest` through writeVerified (hashed while copied; `.tmp`, then rename). */
export async function copyVerified(ctx: AcquireContext, from: string, dest: string, expected: { sha256?: string; gitSha1?: string; size: number }, meter: Meter): Promise<string> {
  const got = await writeVerified(createReadStream(from, { highWaterMark: 1 << 20 }), dest, expected, { signal: ctx.signal, onBytes: meter.bytes });
  return got.sha256;
}
