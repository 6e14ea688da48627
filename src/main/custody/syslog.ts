import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { CustodyEvent } from '../../shared/api';
import { UsageError } from '../../shared/errors';
import { canonicalJson } from '../bundle/canonical-json';
import type { Db } from '../db/database';
import { getSetting } from '../identity/station';
import type { CustodyStore } from './custody-store';

export interface SyslogTarget {
  host: string;
  port: number;
  tls: boolean;
  /** PEM CA file to check the collector's certificate (TLS). */
  caFile?: string;
}

/** `tcp://host:port` or `tls://host:port`. */
export function parseSyslogTarget(url: string, caFile?: string): SyslogTarget {
  const m = /^(tcp|tls):\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(url.trim());
  if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) throw new UsageError(`"${url}" is not a syslog target.`, 'Use tcp://HOST:PORT or tls://HOST:PORT.');
  return { host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]), tls: m[1] === 'tls', ...(caFile ? { caFile } : {}) };
}

const FACILITY_AUDIT = 13; // "log audit"
const SEVERITY_NOTICE = 5;
const field = (s: string, max: number): string => (s.replace(/[^\x21-\x7e]/g, '_').slice(0, max) || '-');
const sdValue = (s: string): string => s.replace(/[\\"\]]/g, (c) => `\\${c}`);

/** One custody event as an RFC 5424 message (audit facility, notice), details as structured data and JSON. */
export function formatRfc5424(e: CustodyEvent, pid = process.pid): string {
  const params: [string, string | undefined][] = [
    ['seq', String(e.seq)],
    ['eventId', e.eventId],
    ['bundleId', e.bundleId ?? undefined],
    ['type', e.type],
    ['actor', e.actor],
    ['role', e.role],
    ['station', e.station],
    ['location', e.location],
    ['hash', e.hash],
    ['prevHash', e.prevHash],
    ['signer', e.signer],
  ];
  const sd = `[ferry@32473 ${params
    .filter((p): p is [string, string] => p[1] !== undefined)
    .map(([k, v]) => `${k}="${sdValue(v)}"`)
    .join(' ')}]`;
  const msg = `\uFEFF${canonicalJson({ type: e.type, actor: e.actor, details: e.details })}`;
  return `<${FACILITY_AUDIT * 8 + SEVERITY_NOTICE}>1 ${e.at} ${field(e.station, 255)} ferry ${pid} ${field(e.type, 32)} ${sd} ${msg}`;
}

/** Octet-counting framing (RFC 6587 / RFC 5425): `<length> <message>`. */
export function frame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `), body]);
}

/**
 * Forwards custody events to a syslog collector over TCP or TLS as they are appended.
 * Forwarding never blocks or fails the custody operation: errors are kept in `lastError`
 * and the chain in SQLite stays the record of truth.
 */
export class SyslogForwarder {
  private socket: Socket | undefined;
  private pending: Promise<void> = Promise.resolve();
  lastError: Error | undefined;
  sent = 0;

  constructor(private readonly target: SyslogTarget) {}

  attach(custody: CustodyStore): () => void {
    const on = (e: CustodyEvent): void => void this.send(e);
    custody.on('appended', on);
    return () => custody.off('appended', on);
  }

  send(e: CustodyEvent): Promise<void> {
    const bytes = frame(formatRfc5424(e));
    this.pending = this.pending.then(async () => {
      try {
        const s = await this.connect();
        await new Promise<void>((res, rej) => s.write(bytes, (err) => (err ? rej(err) : res())));
        this.sent++;
      } catch (err) {
        this.lastError = err as Error;
        this.socket?.destroy();
        this.socket = undefined;
      }
    });
    return this.pending;
  }

  private connect(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    const { host, port } = this.target;
    return new Promise((resolve, reject) => {
      const s = this.target.tls
        ? tlsConnect({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, ...(this.target.caFile ? { ca: readFileSync(this.target.caFile) } : {}) })
        : netConnect({ host, port });
      const timer = setTimeout(() => s.destroy(new Error(`syslog ${host}:${port}: connect timed out`)), 5000);
      s.once(this.target.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        this.socket = s;
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      s.on('error', () => undefined);
    });
  }

  /** Waits for everything queued, then closes the connection. */
  async close(): Promise<void> {
    await this.pending;
    const s = this.socket;
    this.socket = undefined;
    if (s && !s.destroyed) await new Promise<void>((res) => s.end(res));
  }
}

/** Live forwarding configured on the station (`ferry custody syslog --target`); undefined when off. */
export function forwardFromSettings(db: Db, custody: CustodyStore): SyslogForwarder | undefined {
  const raw = getSetting(db, 'syslog.target');
  if (!raw) return undefined;
  try {
    const { url, caFile } = JSON.parse(raw) as { url: string; caFile?: string };
    const f = new SyslogForwarder(parseSyslogTarget(url, caFile));
    f.attach(custody);
    return f;
  } catch {
    return undefined;
  }
}
