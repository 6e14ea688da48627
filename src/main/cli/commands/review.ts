import { Command } from 'commander';
import { UsageError } from '../../../shared/errors';
import { print, withCommon, withServices } from '../context';
import { withSigning, type SigningOptions } from './identity';


interface Opts extends SigningOptions {
  approve?: boolean;
  reject?: boolean;
  reason?: string;
  override?: boolean;
  file?: string;
  rule?: string;
  detail?: string;
}

export function reviewCommand(): Command {
  return withSigning(withCommon(new Command('review')))
    .description('show a bundle and its diff against the last approved bundle of its recipe; or approve (sign the manifest digest) or reject it')
    .argument('<dir>', 'bundle directory')
    .option('--approve', 'approve exactly this manifest')
    .option('--reject', 'reject it (needs --reason)')
    .option('--reason <text>', 'why; recorded in the signed statement and the custody log')
    .option('--override', 'accept one blocking scan finding (--file, --rule, optionally --detail) with a written --reason; signed and recorded')
    .option('--file <path>', 'with --override: the finding\'s file, bundle-relative, as "ferry review DIR" lists it')
    .option('--rule <id>', 'with --override: the finding\'s rule id')
    .option('--detail <text>', 'with --override: the finding\'s detail, when file and rule name more than one')
    .action(async (dir: string, o: Opts) => {
      if (o.override) return runOverride(dir, o);
      if (o.approve && o.reject) throw new UsageError('Choose one of --approve or --reject.');
      if (!o.approve && !o.reject) {
        await withServices(o, async (cli) => {
          const { documentText } = await import('../../review/diff-text');
          const doc = await cli.handlers['bundle:manifest']({ dir });
          print(cli, doc, () => documentText(doc));
        });
        return;
      }
      await withServices(o, async (cli) => {
        const { formatFingerprint } = await import('../../identity/keys');
        const r = await cli.handlers['review:decide']({ dir, decision: o.approve ? 'approve' : 'reject', reason: o.reason ?? '' });
        const acting = (await cli.handlers['identity:current']({})).acting!;
        print(cli, r, () =>
          [
            `${r.decision === 'approve' ? 'Approved' : 'Rejected'} bundle ${r.bundleId} as ${acting.name} (${formatFingerprint(acting.fingerprint)})`,
            `  manifest sha256 ${r.manifestSha256}`,
            ...(r.kitSha256 ? [`  offline kit (ferry/) sha256 ${r.kitSha256}, signed with the decision`] : []),
            `  statement ${r.statementFile}; custody event #${r.custodySeq}`,
            `  in-toto statement (DSSE envelope, checkable with openssl) ${r.envelopeFile}`,
            `  custody log exported: ${r.custody.count} events, head signed`,
          ].join('\n'),
        );
      });
    });
}

async function runOverride(dir: string, o: Opts): Promise<void> {
  if (o.approve || o.reject) throw new UsageError('--override records a decision on one finding; approve or reject in a separate step.');
  if (!o.file || !o.rule) throw new UsageError('--override needs --file and --rule naming the finding (as "ferry review DIR" lists it).');
  await withServices(o, async (cli) => {
    const { formatFingerprint } = await import('../../identity/keys');
    const r = await cli.handlers['review:override']({ dir, file: o.file!, rule: o.rule!, ...(o.detail !== undefined ? { detail: o.detail } : {}), reason: o.reason ?? '' });
    const acting = r.override.by;
    print(cli, r, () =>
      [
        `Override recorded for ${r.override.file} (${r.override.rule}) in bundle ${r.bundleId} by ${acting.name} (${formatFingerprint(acting.fingerprint)})`,
        `  manifest sha256 ${r.manifestSha256}`,
        `  ${r.overrideFile}; custody event #${r.custodySeq}`,
        r.unresolved.length ? `  still unresolved: ${r.unresolved.map((f) => `${f.file} (${f.rule})`).join('; ')}` : '  no blocking finding is left without an override',
      ].join('\n'),
    );
  });
}
