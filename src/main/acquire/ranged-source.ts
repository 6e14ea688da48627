// One remote file read as several HTTP ranges at once, handed on as ONE in-order byte stream: the
// caller (writeVerifiedResumable) hashes and writes it exactly as it would a single response, so
// hashing stays in the same pass, what is on disk stays a hashed prefix, and resuming stays
// "continue from the prefix". Buffering is bounded: the segment being handed on streams through,
// at most `parallel - 1` later segments wait in memory (`segment` bytes each at most).
import { TransientError } from './retry';

/** One validated range answer: the body holds exactly bytes [start, end] (inclusive) of the file. */
export interface RangeAnswer {
  body: AsyncIterable<Uint8Array>;
}

/** Asks for bytes [start, end] (inclusive); rejects when the server does not answer with exactly that range. */
export type GetRange = (start: number, end: number, signal: AbortSignal) => Promise<RangeAnswer>;

export interface RangedOptions {
  /** Bytes per range request. */
  segment: number;
  /** Range requests in flight at once (at least 1). */
  parallel: number;
  signal?: AbortSignal;
  /** Names the file in errors. */
  what: string;
}

interface Segment {
  chunks: Uint8Array[];
  done: boolean;
  error?: unknown;
  wake?: () => void;
}

/**
 * Bytes [offset, size) fetched `parallel` ranges at a time, yielded in order. Any range that fails
 * or comes back short or long ends the stream with that error (in-flight ranges are aborted); the
 * bytes yielded before it are a correct prefix.
 */
export async function* rangedStream(get: GetRange, offset: number, size: number, opts: RangedOptions): AsyncGenerator<Uint8Array> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const starts: number[] = [];
  for (let s = offset; s < size; s += opts.segment) starts.push(s);
  const segments: Segment[] = [];
  const launch = (i: number): void => {
    const start = starts[i]!;
    const end = Math.min(start + opts.segment, size) - 1;
    const seg: Segment = { chunks: [], done: false };
    segments[i] = seg;
    const wake = (): void => {
      const w = seg.wake;
      seg.wake = undefined;
      w?.();
    };
    void (async () => {
      let got = 0;
      try {
        const answer = await get(start, end, stop.signal);
        for await (const chunk of answer.body) {
          got += chunk.byteLength;
          if (got > end - start + 1) throw new TransientError(`${opts.what}: the range ${start}-${end} brought more than ${end - start + 1} bytes`);
          seg.chunks.push(chunk);
          wake();
        }
        if (got !== end - start + 1) throw new TransientError(`${opts.what}: the range ${start}-${end} ended after ${got} of ${end - start + 1} bytes`);
        seg.done = true;
      } catch (err) {
        seg.error = err;
      }
      wake();
    })();
  };
  try {
    for (let i = 0; i < Math.min(opts.parallel, starts.length); i++) launch(i);
    for (let i = 0; i < starts.length; i++) {
      const seg = segments[i]!;
      for (;;) {
        const chunk = seg.chunks.shift();
        if (chunk) {
          yield chunk;
          continue;
        }
        if (seg.error !== undefined) throw seg.error;
        if (seg.done) break;
        await new Promise<void>((resolve) => (seg.wake = resolve));
      }
      segments[i] = undefined as unknown as Segment; // handed on: let it go
      if (i + opts.parallel < starts.length) launch(i + opts.parallel);
    }
  } finally {
    stop.abort();
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
