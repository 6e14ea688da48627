import { Command } from 'commander';
import { EXIT, print, withCommon, withServices, type CommonOptions } from '../context';

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
              : events.map((e) => `#${e.seq}  ${e.at}  ${e.type.padEnd(9)} ${e.actor}@${e.station} (${e.role})  bundle ${e.bundleId ?? '-'}  ${e.hash.slice(0, 16)}`).join('\n'),
          );
        }),
      ),
  );
  custody.addCommand(
    withCommon(new Command('verify'))
      .description('recompute the hash chain from the rows; exit 1 at the first broken event')
      .action(async (o: CommonOptions) =>
        withServices(o, async (cli) => {
          const r = cli.services.custody.verifyChain();
          print(cli, r, () => (r.ok ? `OK: ${r.count} events, chain intact` : `BROKEN at event #${r.seq} (${r.eventId}): ${r.reason}`));
          if (!r.ok) process.exitCode = EXIT.failed;
        }),
      ),
  );
  return custody;
}
