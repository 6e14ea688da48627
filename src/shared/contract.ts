import type { z } from 'zod';

// How an API channel is declared: once, by its request schema and its result type. The schema
// validates every request that crosses a transport (dispatch), gives the argument's type, and
// its key gives the channel its place in the channel list (src/shared/channels/index.ts).

/** One channel: the zod schema of its one argument, and (as a type only) what it resolves to. */
export interface Channel<A extends z.ZodType, R> {
  readonly arg: A;
  /** Never set: carries the result type. */
  readonly result?: (r: R) => R;
}

/** `channel(z.strictObject({ … })).returns<ResultType>()` */
export function channel<A extends z.ZodType>(arg: A): { returns<R>(): Channel<A, R> } {
  return { returns: <R>(): Channel<A, R> => ({ arg }) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ChannelMap = Record<string, Channel<z.ZodType, any>>;

export type ResultOf<D> = D extends Channel<z.ZodType, infer R> ? R : never;

/** The typed functions a family of channels declares (what handlers implement and transports carry). */
export type ApiOf<M extends ChannelMap> = { [C in keyof M]: (arg: z.input<M[C]['arg']>) => Promise<ResultOf<M[C]>> };

/** The request schemas of a family, by channel. */
export function schemasOf<M extends ChannelMap>(m: M): { [C in keyof M]: z.ZodType } {
  return Object.fromEntries(Object.entries(m).map(([c, d]) => [c, d.arg])) as { [C in keyof M]: z.ZodType };
}
