import { Command } from 'commander';
import { rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../../../shared/errors';
import { formatBytes } from '../../../shared/format';
import type { CreateResult } from '../../bundle/create';
import type { ActingIdentity } from '../../identity/identity-store';
import { print, withCommon, withServices, type Cli } from '../context';
import { actIfAsked, withSigning, type SigningOptions } from './identity';

interface ExportOpts extends SigningOptions {
  registry?: string;
  ca?: string;
  username?: string;
  passwordStdin?: boolean;
  insecureRegistry?: string[];
  modelsDir?: string;
  out: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** The identity that signs: --as (passphrase from stdin, $FERRY_PASSPHRASE or a prompt), else $FERRY_AS. */
async function signer(cli: Cli, o: ExportOpts): Promise<ActingIdentity> {
  const asked = await actIfAsked(cli, o);
  if (asked) return asked;
  const name = process.env.FERRY_AS;
  const { IdentityStore } = await import('../../identity/identity-store');
  if (name && process.env.FERRY_PASSPHRASE) return new IdentityStore(cli.services.db).unlock(name, process.env.FERRY_PASSPHRASE);
  throw new UsageError('An inventory must be signed: nobody is acting.', 'Give --as NAME (an identity on this station), or set FERRY_AS and FERRY_PASSPHRASE.');
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
        const [{ createHash }, { parseRegistryTarget }, { storedCredentials }, { exportInventory }, { inventoryFileBytes, signInventory }, { formatFingerprint }, { RegistryClient }] = await Promise.all([
          import('node:crypto'),
          import('../../bundle/registry-target'),
          import('../../credentials/credential-store'),
          import('../../delta/inventory-export'),
          import('../../delta/inventory-sign'),
          import('../../identity/keys'),
          import('../../registry/registry-client'),
        ]);
        const target = o.registry ? parseRegistryTarget(o.registry) : undefined;
        const password = o.passwordStdin ? await readStdin() : undefined;
        await withServices(o, async (cli) => {
          const acting = await signer(cli, o);
          const client = target
            ? new RegistryClient({
                registry: target.registry,
                insecure: (o.insecureRegistry ?? []).includes(target.registry),
                caFile: o.ca,
                credentials: o.username ? { username: o.username, password: password ?? '' } : storedCredentials(cli.services.db, cli.services.dataDir)(target.registry),
              })
            : undefined;
          try {
            const inv = await exportInventory({
              client,
              registry: o.registry,
              prefix: target?.prefix,
              modelsDir: o.modelsDir,
              pool: cli.services.pool,
              station: cli.services.identity.station,
              signer: { name: acting.name, role: acting.role, fingerprint: acting.fingerprint },
            });
            const bytes = inventoryFileBytes(signInventory(inv, acting));
            const out = resolve(o.out);
            await writeFile(`${out}.tmp`, bytes);
            await rename(`${out}.tmp`, out);
            const sha256 = createHash('sha256').update(bytes).digest('hex');
            const manifests = inv.repositories.reduce((n, r) => n + r.manifests.length, 0);
            const files = inv.models.reduce((n, m) => n + m.files.length, 0);
            cli.services.custody.append({ type: 'inventory-exported', role: 'admin', details: { out, sha256, registry: o.registry, repositories: inv.repositories.length, manifests, modelsDir: inv.modelsDir, models: inv.models.length, modelFiles: files } });
            print(cli, { out, sha256, repositories: inv.repositories.length, manifests, models: inv.models.length, modelFiles: files, signer: inv.signer }, () =>
              [`Wrote ${out} (${bytes.length} bytes, sha256 ${sha256})`, `  ${inv.repositories.length} repositories, ${manifests} image manifests, ${inv.models.length} models (${files} files)`, `  signed by ${acting.name} ${formatFingerprint(acting.fingerprint)}`, '  Carry it to the connected side through review; there: ferry trust add (this key), then ferry bundle create --inventory FILE.'].join('\n'),
            );
          } finally {
            await client?.close();
          }
        });
      }),
  );
  inventory.addCommand(
    withCommon(new Command('check'))
      .description("check an inventory's signature against the keys pinned on this station, and summarise it")
      .argument('<file>', 'inventory file')
      .action(async (file: string, o: SigningOptions) =>
        withServices(o, async (cli) => {
          const [{ readTrustedInventory }, { formatFingerprint }, { TrustStore }] = await Promise.all([import('../../delta/inventory-sign'), import('../../identity/keys'), import('../../identity/trust-store')]);
          const { signed, sha256 } = await readTrustedInventory(file, new TrustStore(cli.services.db).lookup(), 'do not use it');
          const inv = signed.inventory;
          const summary = { sha256, station: inv.station, createdAt: inv.createdAt, signer: inv.signer, registry: inv.registry, repositories: inv.repositories.map((r) => ({ name: r.name, tags: r.tags.length, manifests: r.manifests.length })), models: inv.models.map((m) => ({ repo: m.repo, files: m.files.length })) };
          print(cli, summary, () =>
            [`${file}: signature good, signed by ${inv.signer.name} ${formatFingerprint(inv.signer.fingerprint)} (pinned)`, `  station ${inv.station}, ${inv.createdAt}`, ...summary.repositories.map((r) => `  image ${r.name}: ${r.tags} tag(s), ${r.manifests} manifest(s)`), ...summary.models.map((m) => `  model ${m.repo}: ${m.files} file(s)`)].join('\n'),
          );
        }),
      ),
  );
  return inventory;
}
