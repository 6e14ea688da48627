import { Argument, Command } from 'commander';
import { UsageError } from '../../../shared/errors';
import { EXIT, print, withCommon, withServices, type CommonOptions } from '../context';
import { MANUAL_EVENT_TYPES, type ManualEventType } from '../../../shared/manual-events';
import { withSigning, type SigningOptions } from './identity';

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
          const r = await cli.handlers['custody:chain']({});
          const imported = r.imported;
          print(cli, r, () =>
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
          const r = await cli.handlers['custody:export-log']({ dir });
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
          const { formatFingerprint } = await import('../../identity/keys');
          const r = await cli.handlers['custody:import']({ dir });
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
      .addArgument(new Argument('<type>', MANUAL_EVENT_TYPES.join(' | ')).choices(MANUAL_EVENT_TYPES))
      .requiredOption('--bundle <id>', 'bundle id')
      .option('--detail <key=value...>', 'details; a value with commas becomes a list (serials=A1,A2)')
      .option('--role <role>', 'role acted in (default: the identity\'s, else operator)')
      .action(async (type: string, o: SigningOptions & { bundle: string; detail?: string[]; role?: string }) =>
        withServices(o, async (cli) => {
          const details: Record<string, string | string[]> = {};
          for (const kv of o.detail ?? []) {
            const m = /^([^=]+)=(.*)$/s.exec(kv); // the key's form is custody:record's rule (its schema)
            if (!m) throw new UsageError(`--detail ${kv}: expected key=value.`);
            details[m[1]!] = m[2]!.includes(',') ? m[2]!.split(',').map((v) => v.trim()) : m[2]!;
          }
          const e = await cli.handlers['custody:record']({ type: type as ManualEventType, bundleId: o.bundle, details, ...(o.role ? { role: o.role as 'operator' | 'reviewer' | 'admin' } : {}) });
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
          const r = await cli.handlers['custody:syslog']({ ...(o.target ? { target: o.target } : {}), ...(o.ca ? { caFile: o.ca } : {}), ...(o.off ? { off: true } : {}), ...(o.sendAll ? { sendAll: true } : {}) });
          print(cli, r, () => `Syslog forwarding ${r.target ? `to ${r.target}` : 'off'}${o.sendAll ? `; sent ${r.sent} events` : ''}`);
        }),
      ),
  );
  return custody;
}
