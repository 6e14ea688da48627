// Headless transport: loopback HTTP with a per-run bearer token.
//   invoke: POST /api/invoke/<channel>  body = arg  ->  200 {result} | non-2xx {error}
//   events: GET /api/events, read as Server-Sent-Events through fetch (EventSource can't
//           send an Authorization header), reconnecting with backoff.
import type {
  ErrorShape,
  EventApi,
  EventChannel,
  FerryApi,
  InvokeArg,
  InvokeChannel,
  InvokeResult,
} from '../../../shared/api';
import { EVENT_CHANNELS, INVOKE_CHANNELS } from '../../../shared/api';
import { FerryError, fromErrorShape } from '../../../shared/errors';
import { useConnection } from './connection';
import { SseParser } from './sse';

const TOKEN_KEY = 'ferry.token';
/** This tab's login: the server hands the id out at sign-in; every call carries it (a new tab starts signed out). */
const SESSION_KEY = 'ferry.session';
const SESSION_HEADER = 'X-Ferry-Session';
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;

/**
 * Take the token from `#token=…` (then scrub it from the address bar and history entry),
 * falling back to the one kept for this tab in sessionStorage.
 */
export function takeToken(): string | null {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromHash = params.get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(history.state, '', location.pathname + location.search);
  }
  return fromHash || sessionStorage.getItem(TOKEN_KEY);
}

function sessionHeader(): Record<string, string> {
  const id = sessionStorage.getItem(SESSION_KEY);
  return id ? { [SESSION_HEADER]: id } : {};
}

function isErrorShape(v: unknown): v is ErrorShape {
  return typeof v === 'object' && v !== null && typeof (v as ErrorShape).message === 'string';
}

type Listener = (payload: never) => void;

export class HttpTransport implements FerryApi {
  private listeners = new Map<EventChannel, Set<Listener>>();
  private started = false;

  constructor(private readonly token: string) {}

  async invoke<C extends InvokeChannel>(channel: C, arg: InvokeArg<C>): Promise<InvokeResult<C>> {
    if (!INVOKE_CHANNELS.includes(channel)) throw new FerryError(`Unknown channel ${String(channel)}`);
    let res: Response;
    try {
      res = await fetch(`/api/invoke/${channel}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json', ...sessionHeader() },
        body: JSON.stringify(arg ?? {}),
        cache: 'no-store',
      });
    } catch {
      throw new FerryError('Cannot reach the Ferry server', 'Check that `ferry serve` is still running.', 'NetworkError');
    }
    if (res.status === 401 || res.status === 403) useConnection.getState().set('unauthorized');
    const issued = res.headers.get(SESSION_HEADER);
    if (issued) sessionStorage.setItem(SESSION_KEY, issued);
    const body: unknown = await res.json().catch(() => null);
    if (res.ok && body && typeof body === 'object' && 'result' in body) {
      return (body as { result: InvokeResult<C> }).result;
    }
    const shape = body && typeof body === 'object' ? (body as { error?: unknown }).error : undefined;
    if (isErrorShape(shape)) throw fromErrorShape(shape);
    throw new FerryError(`${channel} failed: HTTP ${res.status} ${res.statusText}`.trim(), undefined, 'HttpError');
  }

  on<E extends EventChannel>(event: E, listener: (payload: EventApi[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener);
    if (!this.started) {
      this.started = true;
      void this.stream();
    }
    return () => set.delete(listener as Listener);
  }

  private dispatch(event: string, data: string): void {
    if (!EVENT_CHANNELS.includes(event as EventChannel)) return;
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      console.warn(`ferry: dropped malformed ${event} event`);
      return;
    }
    for (const l of this.listeners.get(event as EventChannel) ?? []) {
      try {
        (l as (p: unknown) => void)(payload);
      } catch (err) {
        console.error(`ferry: ${event} listener threw`, err);
      }
    }
  }

  /** Keep one event stream open for the life of the page. */
  private async stream(): Promise<void> {
    const conn = useConnection.getState();
    let delay = BACKOFF_MIN_MS;
    for (;;) {
      try {
        const res = await fetch('/api/events', {
          headers: { Authorization: `Bearer ${this.token}`, Accept: 'text/event-stream' },
          cache: 'no-store',
        });
        if (res.status === 401 || res.status === 403) {
          conn.set('unauthorized');
          return; // a new token means a new URL, hence a new page
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        conn.set('live');
        delay = BACKOFF_MIN_MS;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const f of parser.push(value)) this.dispatch(f.event, f.data);
        }
      } catch {
        // dropped or refused; fall through to retry
      }
      conn.set('reconnecting');
      await new Promise((r) => setTimeout(r, delay + Math.random() * delay * 0.2));
      delay = Math.min(delay * 2, BACKOFF_MAX_MS);
    }
  }
}
