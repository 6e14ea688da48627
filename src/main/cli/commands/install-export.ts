import { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../../../shared/errors';
import { print, withCommon, withServices, type CommonOptions } from '../context';
import { writeReturnedFile } from '../returned-file';

interface Opts extends CommonOptions {
  out?: string;
  force?: boolean;
}

/** `ferry install export-compose INSTALL_ID --out DIR`: docker-compose.yml + .env (0600) for admins who run Compose. */
export function exportComposeCommand(): Command {
  return withCommon(new Command('export-compose'))
    .description('write an equivalent docker-compose.yml and .env (secrets, 0600) for an install')
    .argument('<id>', 'install id')
    .option('--out <dir>', 'folder to write docker-compose.yml and .env into')
    .option('--force', 'replace docker-compose.yml and .env if they are already there')
    .action(async (id: string, _o: Opts, cmd: Command) => {
      const o = cmd.optsWithGlobals<Opts>();
      if (!o.out) throw new UsageError('--out DIR is required.', 'Give the folder to write docker-compose.yml and .env into, e.g. --out ./keeptrusts-compose.');
      const out = resolve(o.out);
      await withServices(o, async (cli) => {
        const r = await cli.handlers['install:export-compose']({ installId: id });
        await mkdir(out, { recursive: true });
        const written: Record<string, string> = {};
        for (const f of r.files) written[f.name] = await writeReturnedFile(join(out, f.name), f.content, { force: o.force, mode: f.mode });
        const composeFile = written['docker-compose.yml']!;
        const envFile = written['.env']!;
        const view = { installId: id, composeFile, envFile, project: r.project, command: r.command, dir: out };
        print(cli, view, () => `Wrote ${composeFile}\nWrote ${envFile} (0600: it holds the generated secrets)\n\nStart the stack from ${out} with:\n  ${r.command}`);
      });
    });
}
