import { Command } from 'commander';
import { UsageError } from '../../../shared/errors';
import { print, withCommon, withServices, type CommonOptions } from '../context';

const MAX_STDIN = 64 * 1024;

/** The password from stdin: everything up to the first newline (as `docker login --password-stdin`). */
async function readPasswordStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of stdin as AsyncIterable<Buffer>) {
    chunks.push(c);
    total += c.length;
    if (total > MAX_STDIN) throw new UsageError('The password on stdin is over 64 KiB.');
  }
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new UsageError('--password-stdin was given but stdin held no password.', 'Example: printf %s "$PASSWORD" | ferry credentials add HOST --username U --password-stdin');
  return line;
}

interface AddOpts extends CommonOptions {
  username: string;
  passwordStdin?: boolean;
}

/** `ferry credentials add|list|remove`: registry logins stored on the station, encrypted at rest. */
export function credentialsCommand(): Command {
  const cmd = new Command('credentials').description('registry logins entered once and stored encrypted (AES-256-GCM under <data-dir>/credentials.key)');
  cmd.addCommand(
    withCommon(new Command('add'))
      .description('store (or replace) the login for a registry; used when a command gives none, before the Docker config file')
      .argument('<registry>', 'registry HOST[:PORT], e.g. registry.internal:5000 or docker.io')
      .requiredOption('--username <user>', 'user name')
      .option('--password-stdin', 'read the password (or token) from the first line of stdin')
      .action(async (registry: string, o: AddOpts) => {
        if (!o.passwordStdin) throw new UsageError('ferry credentials add needs --password-stdin', 'Passwords on the command line end up in shell history: printf %s "$PASSWORD" | ferry credentials add HOST --username U --password-stdin');
        const password = await readPasswordStdin();
        await withServices(o, async (cli) => {
          const saved = await cli.handlers['credentials:set']({ registry, username: o.username, password });
          print(cli, saved, () => `Stored credentials for ${saved.registry} (user ${saved.username}).`);
        });
      }),
  );
  cmd.addCommand(
    withCommon(new Command('list'))
      .description('list stored logins: registry, user name, last update (never the secret)')
      .action(async (o: CommonOptions) =>
        withServices(o, async (cli) => {
          const list = await cli.handlers['credentials:list']({});
          print(cli, list, () => (list.length ? list.map((c) => `${c.registry.padEnd(32)} ${c.username.padEnd(20)} ${c.updatedAt}`).join('\n') : 'No stored credentials.'));
        }),
      ),
  );
  cmd.addCommand(
    withCommon(new Command('remove'))
      .description('forget the stored login for a registry')
      .argument('<registry>', 'registry HOST[:PORT]')
      .action(async (registry: string, o: CommonOptions) =>
        withServices(o, async (cli) => {
          const r = await cli.handlers['credentials:remove']({ registry });
          if (!r.removed) throw new UsageError(`No stored credentials for ${registry}`, 'See: ferry credentials list');
          print(cli, r, () => `Removed the stored credentials for ${registry}.`);
        }),
      ),
  );
  return cmd;
}
