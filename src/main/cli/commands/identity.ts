import { Command, Option } from 'commander';
import { writeFile } from 'node:fs/promises';
import { print, withCommon, withServices, type CommonOptions } from '../context';

export interface SigningOptions extends CommonOptions {
  as?: string;
  passphraseStdin?: boolean;
}

/** --as NAME and --passphrase-stdin (else FERRY_PASSPHRASE, else a prompt on the terminal). */
export function withSigning(cmd: Command, required = false): Command {
  return cmd
    .addOption(new Option('--as <name>', `identity that acts and signs${required ? '' : ' (else $FERRY_AS; needed once the station has identities)'}`).makeOptionMandatory(required))
    .option('--passphrase-stdin', "read the identity's passphrase from the first line of stdin (else $FERRY_PASSPHRASE, else a prompt)");
}

export function identityCommand(): Command {
  const identity = new Command('identity').description('local users, their roles and signing keys; the station name and location');
  identity.addCommand(
    withCommon(new Command('create'))
      .description('create an identity with an Ed25519 key pair; the private key is encrypted with a passphrase (scrypt + AES-256-GCM)')
      .requiredOption('--name <name>', 'identity name')
      .requiredOption('--role <role>', 'operator | reviewer | admin | auditor')
      .option('--passphrase-stdin', 'read the new passphrase from the first line of stdin (else $FERRY_PASSPHRASE, else a prompt, asked twice)')
      .action(async (o: SigningOptions & { name: string; role: string }) =>
        withServices(o, async (cli) => {
          const [{ readPassphrase }, { createIdentity }, { formatFingerprint }] = await Promise.all([import('../../identity/passphrase'), import('../../identity/station-admin'), import('../../identity/keys')]);
          const passphrase = await readPassphrase(`protect the key of ${o.name}`, { passphraseStdin: o.passphraseStdin }, true);
          const created = createIdentity(cli.services, undefined, { name: o.name, role: o.role, passphrase }).identity;
          print(cli, created, () => `Created ${created.role} ${created.name}\n  fingerprint ${formatFingerprint(created.fingerprint)}`);
        }),
      ),
  );
  identity.addCommand(
    withCommon(new Command('list'))
      .description('list identities with their roles and fingerprints')
      .action(async (o: CommonOptions) =>
        withServices(o, async (cli) => {
          const { formatFingerprint } = await import('../../identity/keys');
          const all = await cli.handlers['identity:list']({});
          print(cli, all, () => (all.length === 0 ? 'No identities yet.' : all.map((i) => `${i.name.padEnd(20)} ${i.role.padEnd(9)} ${formatFingerprint(i.fingerprint)}`).join('\n')));
        }),
      ),
  );
  identity.addCommand(
    withCommon(new Command('export-public'))
      .description("write an identity's public key file (for \"ferry trust add\" on another station)")
      .argument('<name>', 'identity name')
      .option('--out <file>', 'write the key file here instead of stdout')
      .action(async (name: string, o: CommonOptions & { out?: string }) =>
        withServices(o, async (cli) => {
          const key = await cli.handlers['identity:publickey']({ name });
          const file = JSON.parse(key.text) as { name: string; role: string; fingerprint: string };
          if (o.out) {
            await writeFile(o.out, key.text);
            print(cli, file, () => `Wrote ${o.out}\n  ${file.name} (${file.role}) fingerprint ${file.fingerprint}`);
          } else {
            process.stdout.write(key.text);
            process.stderr.write(`fingerprint ${file.fingerprint}\n`);
          }
        }),
      ),
  );
  identity.addCommand(
    withSigning(withCommon(new Command('station')))
      .description('show or set this station\'s name and location (carried by every custody record)')
      .option('--name <name>', 'station name')
      .option('--location <text>', 'where the station is (site, room)')
      .action(async (o: SigningOptions & { name?: string; location?: string }) =>
        withServices(o, async (cli) => {
          const info = await cli.handlers['station:configure']({ ...(o.name !== undefined ? { name: o.name } : {}), ...(o.location !== undefined ? { location: o.location } : {}) });
          print(cli, info, () => `Station ${info.name ?? `(unnamed: ${info.effective})`}${info.location ? `, ${info.location}` : ''}`);
        }),
      ),
  );
  return identity;
}
