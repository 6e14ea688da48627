import { Command } from 'commander';
import { FerryError, UsageError } from '../../../shared/errors';
import { EXIT, print, withCommon, withServices, type CommonOptions } from '../context';
import { actAsAdmin, actIfAsked, withSigning, type SigningOptions } from './identity';

/** Steps a person records by hand; the others are written only by the operations themselves. */
import { MANUAL_EVENT_TYPES } from '../../../shared/channels/custody-admin';
export { MANUAL_EVENT_TYPES };

export function custodyCommand(): Command {
  const custody = new Command('custody').description('the chain-of-custody log');
  custody.addCommand(
    withCommon(new Command('log'))
      .description('list custody events, oldest first')
      .option('--bundle <id>', 'only events of this bundle')
      .option('--limit <n>', 'at most this many (newest)', (v) => Number.parseInt(v, 10), 1000)
      .action(async (o: CommonOptions & { bundle?: string; limit: number }) =>
        withServices(o, async (cli) => {
          const events = (await cli.handlers['custody:list']({ bundleId: o.bundle, limit: o.limit })).reverse();
          print(cli, events, () =>
            events.length === 0
              ? 'No custody events yet.'
              : events
                  .map((e) => `#${e.seq}  ${e.at}  ${e.type.padEnd(9)} ${e.actor}@${e.station} (${e.role})  bundle ${e.bundleId ?? '-'}  ${e.hash.slice(0, 16)}${e.signer ? '  signed' : ''}`)
                  .join('\n'),
          );
        }),
      ),
  );
  custody.addCommand(
    withCommon(new Command('verify'))
      .description('recompute the hash chain and signatures from the rows (and imported chains); exit 1 naming the first broken event')
      .action(async (o: CommonOptions) =>
        withServices(o, async (cli) => {
          const { verifyImported } = await import('../../custody/custody-import');
          const r = cli.services.custody.verifyChain();
          const imported = verifyImported(cli.services.db);
          print(cli, { ...r, imported }, () =>
            [
              r.ok
                ? `OK: ${r.count} events, chain intact${r.signed ? `; ${r.signed} signed${r.unsignedTail ? `, ${r.unsignedTail} unsigned after the last signed one` : ''}` : ''}`
                : `BROKEN at event #${r.seq} (${r.eventId}): ${r.reason}`,
              imported.ok
                ? imported.count > 0 ? `OK: ${imported.count} imported events intact` : ''
                : `BROKEN imported event #${imported.seq} from ${imported.origin} (${imported.eventId}): ${imported.reason}`,
            ]
              .filter(Boolean)
              .join('\n'),
          );
          if (!r.ok || !imported.ok) process.exitCode = EXIT.failed;
        }),
      ),
  );
  custody.addCommand(
    withSigning(withCommon(new Command('export')))
      .description("write the bundle's custody events into <dir>/custody/ (head signed with --as)")
      .argument('<dir>', 'bundle directory')
      .action(async (dir: string, o: SigningOptions) =>
        withServices(o, async (cli) => {
          const { exportCustody } = await import('../../custody/custody-export');
          const acting = await actIfAsked(cli, o);
          const r = await exportCustody(dir, cli.services.custody, cli.services.db, acting && { fingerprint: acting.fingerprint, sign: acting.sign });
          print(cli, r, () => `Exported ${r.count} custody events of bundle ${r.bundleId}; head ${r.headHash?.slice(0, 16)}… ${r.signed ? 'signed' : 'UNSIGNED (use --as)'}`);
        }),
      ),
  );
  custody.addCommand(
    withSigning(withCommon(new Command('import')))
      .description("check the custody log a bundle carries and continue it on this station; exit 1 on a gap, mismatch or forgery")
      .argument('<dir>', 'bundle directory')
      .action(async (dir: string, o: SigningOptions) =>
        withServices(o, async (cli) => {
          const [{ importCustody }, { formatFingerprint }] = await Promise.all([import('../../custody/custody-import'), import('../../identity/keys')]);
          const acting = await actIfAsked(cli, o);
          const r = await importCustody(dir, cli.services.db, cli.services.custody, acting?.role ?? 'admin');
          const signer = r.headSigner ? `${r.headSigner.name} ${formatFingerprint(r.headSigner.fingerprint).slice(0, 27)}… (${r.headSigner.pinned ? 'pinned' : 'NOT pinned here'})` : 'nobody (unsigned)';
          print(cli, r, () =>
            [
              `Imported custody of bundle ${r.bundleId} from ${r.origin.station}${r.origin.location ? ` (${r.origin.location})` : ''}: ${r.added} new event(s), ${r.alreadyHad} already here`,
              `  head ${r.headHash?.slice(0, 16)}… signed by ${signer}; continued by local event #${r.localSeq}`,
            ].join('\n'),
          );
        }),
      ),
  );
  custody.addCommand(
    withSigning(withCommon(new Command('record')))
      .description(`record a step done by hand (${MANUAL_EVENT_TYPES.join(', ')}), e.g. seal numbers, media serials, receipt condition`)
      .argument('<type>', MANUAL_EVENT_TYPES.join(' | '))
      .requiredOption('--bundle <id>', 'bundle id')
      .option('--detail <key=value...>', 'details; a value with commas becomes a list (serials=A1,A2)')
      .option('--role <role>', 'role acted in (default: the identity\'s, else operator)')
      .action(async (type: string, o: SigningOptions & { bundle: string; detail?: string[]; role?: string }) =>
        withServices(o, async (cli) => {
          if (!(MANUAL_EVENT_TYPES as readonly string[]).includes(type)) throw new UsageError(`"${type}" is not a step recorded by hand.`, `Use one of: ${MANUAL_EVENT_TYPES.join(', ')}.`);
          const details: Record<string, unknown> = {};
          for (const kv of o.detail ?? []) {
            const m = /^([A-Za-z][\w.-]{0,63})=(.*)$/s.exec(kv);
            if (!m) throw new UsageError(`--detail ${kv}: expected key=value.`);
            details[m[1]!] = m[2]!.includes(',') ? m[2]!.split(',').map((v) => v.trim()) : m[2]!;
          }
          const acting = await actIfAsked(cli, o, ['operator', 'reviewer', 'admin']); // auditors only read
          const e = cli.services.custody.append({ type, role: o.role ?? acting?.role ?? 'operator', bundleId: o.bundle, details });
          print(cli, e, () => `Recorded #${e.seq} ${e.type} for bundle ${o.bundle}${e.signer ? ' (signed)' : ''}`);
        }),
      ),
  );
  custody.addCommand(
    withSigning(withCommon(new Command('syslog')))
      .description('forward custody events to a syslog collector (RFC 5424 over TCP or TLS) as they happen')
      .option('--target <url>', 'tcp://HOST:PORT or tls://HOST:PORT')
      .option('--ca <file>', 'CA certificate (PEM) for a TLS collector')
      .option('--off', 'stop forwarding')
      .option('--send-all', 'send every event already in the log to the configured collector, once')
      .action(async (o: SigningOptions & { target?: string; ca?: string; off?: boolean; sendAll?: boolean }) =>
        withServices(o, async (cli) => {
          const [{ parseSyslogTarget, SyslogForwarder }, { getSetting, setSetting }] = await Promise.all([import('../../custody/syslog'), import('../../identity/station')]);
          const db = cli.services.db;
          if (o.target || o.off) {
            if (o.target) parseSyslogTarget(o.target, o.ca);
            await actAsAdmin(cli, o, 'configuring syslog forwarding');
            setSetting(db, 'syslog.target', o.off ? undefined : JSON.stringify({ url: o.target, ...(o.ca ? { caFile: o.ca } : {}) }));
            cli.services.custody.append({ type: 'syslog-configured', role: 'admin', details: { target: o.off ? null : o.target } });
          }
          const raw = getSetting(db, 'syslog.target');
          const conf = raw ? (JSON.parse(raw) as { url: string; caFile?: string }) : undefined;
          let sent = 0;
          if (o.sendAll) {
            if (!conf) throw new UsageError('No syslog target is configured.', 'Set one with --target tcp://HOST:PORT.');
            const f = new SyslogForwarder(parseSyslogTarget(conf.url, conf.caFile));
            for (const e of cli.services.custody.list({ limit: 10_000 }).reverse()) await f.send(e);
            await f.close();
            if (f.lastError) throw new FerryError(`Syslog forwarding failed: ${f.lastError.message}`);
            sent = f.sent;
          }
          print(cli, { target: conf?.url ?? null, sent }, () => `Syslog forwarding ${conf ? `to ${conf.url}` : 'off'}${o.sendAll ? `; sent ${sent} events` : ''}`);
        }),
      ),
  );
  return custody;
}
