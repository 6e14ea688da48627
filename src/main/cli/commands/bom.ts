import { Command, Option } from 'commander';
import { print, withServices } from '../context';
import { writeReturnedFile } from '../returned-file';

interface Opts {
  format: 'cyclonedx' | 'spdx';
  out?: string;
  json?: boolean;
  dataDir?: string;
}

export function bomCommand(): Command {
  return new Command('bom')
    .description("print or write a bundle's bill of materials (bom.cdx.json, CycloneDX 1.6), checked against its manifest")
    .argument('<dir>', 'bundle directory (or volume 1 of a media set: an offline kit there is added as a component)')
    .addOption(new Option('--format <format>', 'cyclonedx (as stored) or spdx (SPDX 2.3 JSON)').choices(['cyclonedx', 'spdx']).default('cyclonedx'))
    .option('--out <file>', 'write it to FILE instead of stdout')
    .option('--json', 'with --out: a machine-readable summary on stdout')
    .addOption(new Option('--data-dir <dir>', 'station data directory (default: $FERRY_HOME or the per-user data dir)'))
    .action(async (dir: string, o: Opts) =>
      withServices({ ...o, json: o.json === true }, async (cli) => {
        const e = await cli.handlers['bom:document']({ dir, format: o.format });
        if (e.warning) process.stderr.write(`ferry: warning: ${e.warning}\n`);
        if (!o.out) return void process.stdout.write(e.text);
        const path = await writeReturnedFile(o.out, e.text, { force: true }); // as before: FILE is replaced if it exists
        print(cli, { path, format: e.format, bundleId: e.bundleId, bomSha256: e.sha256, components: e.components, kit: e.kit }, () => `Wrote ${path}: ${e.format === 'spdx' ? 'SPDX 2.3' : 'CycloneDX 1.6'} bill of materials of bundle ${e.bundleId}, ${e.components} components${e.kit ? ' (with the offline kit beside it)' : ''}`);
      }),
    );
}
