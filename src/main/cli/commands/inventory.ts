import { Command } from 'commander';
import { UsageError } from '../../../shared/errors';
import { formatBytes } from '../../../shared/format';
import type { CreateResult } from '../../bundle/create';
import { print, withCommon, withServices } from '../context';
import { readStdin } from '../stdin';
import { withSigning, type SigningOptions } from './identity';

interface ExportOpts extends SigningOptions {
  registry?: string;
  ca?: string;
  username?: string;
  passwordStdin?: boolean;
  insecureRegistry?: string[];
  modelsDir?: string;
  out: string;
}

/** The lines `ferry bundle create` adds for a delta bundle: carried vs full size. */
export function deltaSummary(r: CreateResult): string {
  if (!r.delta) return '';
  const pct = r.delta.fullBytes > 0 ? ((100 * r.bytes) / r.delta.fullBytes).toFixed(1) : '0';
  return `\n  delta against ${r.delta.station}: ${formatBytes(r.bytes)} carried of ${formatBytes(r.delta.fullBytes)} full (${pct}%); left out ${r.delta.omittedBlobs} blob(s), ${r.delta.omittedModelFiles} model file(s)`;
}

export function inventoryCommand(): Command {
  const inventory = new Command('inventory').description('what the offline side holds, as a signed file for delta bundles');
  inventory.addCommand(
    withSigning(withCommon(new Command('export')))
      .description('list the internal registry (digests under a prefix) and the models on disk, signed by the acting identity')
      .option('--registry <host[:port][/prefix]>', 'internal registry to list (repositories under PREFIX)')
      .option('--ca <file>', 'CA certificate file for a registry with a private CA')
      .option('--username <user>', 'registry user (else the login stored on this station)')
      .option('--password-stdin', 'read the registry password from stdin')
      .option('--insecure-registry <host...>', 'allow plain HTTP to this non-loopback registry')
      .option('--models-dir <dir>', 'models directory to list (<dir>/<org>/<name>), each file hashed')
      .requiredOption('--out <file>', 'inventory file to write')
      .action(async (o: ExportOpts) => {
        if (!o.registry && !o.modelsDir) throw new UsageError('Nothing to list: give --registry and/or --models-dir.');
        if (o.passwordStdin && !o.username) throw new UsageError('--password-stdin needs --username');
        if (o.passwordStdin && o.passphraseStdin) throw new UsageError('--password-stdin and --passphrase-stdin both read stdin.', 'Give the passphrase in $FERRY_PASSPHRASE instead.');
        const password = o.passwordStdin ? await readStdin() : undefined;
        await withServices(o, async (cli) => {
          const { formatFingerprint } = await import('../../identity/keys');
          const r = await cli.handlers['inventory:export']({
            ...(o.registry ? { registry: o.registry } : {}),
            ...(o.ca ? { caFile: o.ca } : {}),
            ...(o.username ? { username: o.username } : {}),
            ...(password !== undefined ? { password } : {}),
            ...(o.insecureRegistry?.length ? { insecureRegistries: o.insecureRegistry } : {}),
            ...(o.modelsDir ? { modelsDir: o.modelsDir } : {}),
            out: o.out,
          });
          print(cli, r, () =>
            [`Wrote ${r.out} (${r.bytes} bytes, sha256 ${r.sha256})`, `  ${r.repositories} repositories, ${r.manifests} image manifests, ${r.models} models (${r.modelFiles} files)`, `  signed by ${r.signer.name} ${formatFingerprint(r.signer.fingerprint)}`, '  Carry it to the connected side through review; there: ferry trust add (this key), then ferry bundle create --inventory FILE.'].join('\n'),
          );
        });
      }),
  );
  inventory.addCommand(
    withCommon(new Command('check'))
      .description("check an inventory's signature against the keys pinned on this station, and summarise it")
      .argument('<file>', 'inventory file')
      .action(async (file: string, o: SigningOptions) =>
        withServices(o, async (cli) => {
          const { formatFingerprint } = await import('../../identity/keys');
          const inv = await cli.handlers['inventory:check']({ file });
          print(cli, inv, () =>
            [`${file}: signature good, signed by ${inv.signer.name} ${formatFingerprint(inv.signer.fingerprint)} (pinned)`, `  station ${inv.station}, ${inv.createdAt}`, ...inv.repositories.map((r) => `  image ${r.name}: ${r.tags} tag(s), ${r.manifests} manifest(s)`), ...inv.models.map((m) => `  model ${m.repo}: ${m.files} file(s)`)].join('\n'),
          );
        }),
      ),
  );
  return inventory;
}
