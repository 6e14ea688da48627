import { Command } from 'commander';
import { UsageError } from '../../../shared/errors';
import { print, withCommon, withServices, type CommonOptions } from '../context';

interface Opts extends CommonOptions {
  out?: string;
}

/** `ferry install export-compose INSTALL_ID --out DIR`: docker-compose.yml + .env (0600) for admins who run Compose. */
export function exportComposeCommand(): Command {
  return withCommon(new Command('export-compose'))
    .description('write an equivalent docker-compose.yml and .env (secrets, 0600) for an install')
    .argument('<id>', 'install id')
    .option('--out <dir>', 'folder to write docker-compose.yml and .env into')
    .action(async (id: string, _o: Opts, cmd: Command) => {
      const o = cmd.optsWithGlobals<Opts>();
      if (!o.out) throw new UsageError('--out DIR is required.', 'Give the folder to write docker-compose.yml and .env into, e.g. --out ./keeptrusts-compose.');
      await withServices(o, async (cli) => {
        const [{ exportCompose }, { InstallStore }] = await Promise.all([import('../../install/plan/compose-export'), import('../../install/install-store')]);
        const record = new InstallStore(cli.services.db).get(id);
        const r = await exportCompose(record, cli.services.dataDir, o.out!);
        const view = { installId: id, composeFile: r.composeFile, envFile: r.envFile, project: r.project, command: r.command };
        print(cli, view, () => `Wrote ${r.composeFile}\nWrote ${r.envFile} (0600: it holds the generated secrets)\n\nStart the stack with:\n  ${r.command}`);
      });
    });
}
