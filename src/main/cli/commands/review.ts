import { Command } from 'commander';
import { UsageError } from '../../../shared/errors';
import { formatFingerprint } from '../../identity/keys';
import { documentText } from '../../review/diff-text';
import { reviewBundle } from '../../review/review';
import { print, withCommon, withServices } from '../context';
import { actIfAsked, withSigning, type SigningOptions } from './identity';

interface Opts extends SigningOptions {
  approve?: boolean;
  reject?: boolean;
  reason?: string;
}

export function reviewCommand(): Command {
  return withSigning(withCommon(new Command('review')))
    .description('show a bundle and its diff against the last approved bundle of its recipe; or approve (sign the manifest digest) or reject it')
    .argument('<dir>', 'bundle directory')
    .option('--approve', 'approve exactly this manifest')
    .option('--reject', 'reject it (needs --reason)')
    .option('--reason <text>', 'why; recorded in the signed statement and the custody log')
    .action(async (dir: string, o: Opts) => {
      if (o.approve && o.reject) throw new UsageError('Choose one of --approve or --reject.');
      if (!o.approve && !o.reject) {
        await withServices(o, async (cli) => {
          const doc = await cli.handlers['bundle:manifest']({ dir });
          print(cli, doc, () => documentText(doc));
        });
        return;
      }
      if (!o.as) throw new UsageError('Deciding needs --as NAME (a reviewer or an admin).');
      await withServices(o, async (cli) => {
        const acting = (await actIfAsked(cli, o, ['reviewer', 'admin']))!;
        const r = await reviewBundle(
          { dir, decision: o.approve ? 'approve' : 'reject', reason: o.reason ?? '' },
          { db: cli.services.db, custody: cli.services.custody, acting, dataDir: cli.services.dataDir },
        );
        print(cli, r, () =>
          [
            `${r.decision === 'approve' ? 'Approved' : 'Rejected'} bundle ${r.bundleId} as ${acting.name} (${formatFingerprint(acting.fingerprint)})`,
            `  manifest sha256 ${r.manifestSha256}`,
            `  statement ${r.statementFile}; custody event #${r.custodySeq}`,
            `  custody log exported: ${r.custody.count} events, head signed`,
          ].join('\n'),
        );
      });
    });
}
