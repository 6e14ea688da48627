import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { formatRfc5424, forwardFromSettings, parseSyslogTarget, SyslogForwarder } from '../../src/main/custody/syslog';
import { setSetting } from '../../src/main/identity/station';
import { PASS, signerOf, station, temp } from './custody-fixtures';

/** A collector on 127.0.0.1 that parses octet-counted frames; resolves once `n` messages arrived. */
function collector(n: number, tls?: { key: Buffer; cert: Buffer }): Promise<{ port: number; messages: Promise<string[]>; server: Server }> {
  let resolveAll!: (m: string[]) => void;
  const messages = new Promise<string[]>((r) => (resolveAll = r));
  const got: string[] = [];
  const onSocket = (s: Socket): void => {
    let buf = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const sp = buf.indexOf(0x20);
        if (sp < 0) return;
        const len = Number(buf.subarray(0, sp).toString());
        if (buf.length < sp + 1 + len) return;
        got.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
        buf = buf.subarray(sp + 1 + len);
        if (got.length === n) resolveAll(got);
      }
    });
  };
  const server = tls ? createTlsServer(tls, onSocket) : createServer(onSocket);
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res({ port: (server.address() as AddressInfo).port, messages, server })));
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  cleanup.forEach((c) => c());
  cleanup = [];
});

describe('syslog forwarding', () => {
  it('formats RFC 5424 with the audit facility, the event time and structured data', () => {
    const line = formatRfc5424(
      { seq: 7, eventId: 'e7', bundleId: 'b', type: 'approved', actor: 'rita "r"', role: 'reviewer', station: 'transfer 1', at: '2026-11-23T07:12:03.120+01:00', details: { reason: 'ok' }, prevHash: 'p', hash: 'h' },
      42,
    );
    expect(line).toBe(
      '<109>1 2026-11-23T07:12:03.120+01:00 transfer_1 ferry 42 approved [ferry@32473 seq="7" eventId="e7" bundleId="b" type="approved" actor="rita \\"r\\"" role="reviewer" station="transfer 1" hash="h" prevHash="p"] \uFEFF{"actor":"rita \\"r\\"","details":{"reason":"ok"},"type":"approved"}',
    );
    expect(() => parseSyslogTarget('udp://x:514')).toThrow(/not a syslog target/);
    expect(parseSyslogTarget('tls://siem.internal:6514')).toEqual({ host: 'siem.internal', port: 6514, tls: true });
  });

  it('forwards each appended custody event over TCP as it happens, when the station is configured to', async () => {
    const c = await collector(2);
    cleanup.push(() => c.server.close());
    const t = temp();
    const s = station(t.path, 'low');
    cleanup.push(() => (s.close(), t.cleanup()));
    setSetting(s.db, 'syslog.target', JSON.stringify({ url: `tcp://127.0.0.1:${c.port}` }));
    const fwd = forwardFromSettings(s.db, s.custody)!;
    s.ids.create('olga', 'operator', PASS);
    signerOf(s, 'olga');
    const a = s.custody.append({ type: 'created', role: 'operator', bundleId: 'b1' });
    const b = s.custody.append({ type: 'written', role: 'operator', bundleId: 'b1', details: { serials: ['USB-1'] } });
    const got = await c.messages;
    await fwd.close();
    expect(got[0]).toContain(`hash="${a.hash}"`);
    expect(got[1]).toMatch(/^<109>1 \S+ low ferry \d+ written \[ferry@32473 seq="2"/);
    expect(got[1]).toContain(`signer="${b.signer}"`);
    expect(got[1]).toContain('"serials":["USB-1"]');
    expect(fwd.lastError).toBeUndefined();
  });

  it('forwards over TLS, checking the collector certificate against the given CA', async () => {
    const t = temp();
    cleanup.push(() => t.cleanup());
    const key = join(t.path, 'key.pem');
    const cert = join(t.path, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=collector', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const c = await collector(1, { key: readFileSync(key), cert: readFileSync(cert) });
    cleanup.push(() => c.server.close());
    const fwd = new SyslogForwarder(parseSyslogTarget(`tls://127.0.0.1:${c.port}`, cert));
    await fwd.send({ seq: 1, eventId: 'e1', bundleId: null, type: 'note', actor: 'a', role: 'admin', station: 's', at: '2026-11-23T07:12:03.120+00:00', details: {}, prevHash: '0'.repeat(64), hash: 'f'.repeat(64) });
    expect((await c.messages)[0]).toContain('type="note"');
    await fwd.close();
    // Without the CA the certificate is refused, and the error is kept rather than thrown.
    const c2 = await collector(1, { key: readFileSync(key), cert: readFileSync(cert) });
    cleanup.push(() => c2.server.close());
    const bad = new SyslogForwarder(parseSyslogTarget(`tls://127.0.0.1:${c2.port}`));
    await bad.send({ seq: 1, eventId: 'e1', bundleId: null, type: 'note', actor: 'a', role: 'admin', station: 's', at: 'x', details: {}, prevHash: 'p', hash: 'h' });
    expect(bad.lastError?.message).toMatch(/self[- ]signed|certificate/i);
    await bad.close();
  });
});
