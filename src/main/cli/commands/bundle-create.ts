import { resolve } from 'node:path';
import { Command } from 'commander';
import type { CreateResult } from '../../bundle/create';
import { deltaSummary } from './inventory';
import { followJob, jobResult, print, withCommon, withServices, type CommonOptions } from '../context';
import { withSigning } from './identity';
import { acquireFields, createSummary, withAcquireOptions, type AcquireOpts } from './recipe';

interface Opts extends CommonOptions, AcquireOpts {
  image?: string[];
  model?: string[];
  hubUrl?: string;
  platform?: string;
  out: string;
  insecureRegistry?: string[];
  releaseNotes?: string;
  migrationGuide?: string;
  inventory?: string;
}

export function bundleCommand(): Command {
  const bundle = new Command('bundle').description('create bundles');
  bundle.addCommand(
    withSigning(withAcquireOptions(withCommon(new Command('create'))))
      .description('resolve a recipe, images and models to exact digests and write them into a bundle directory; run again to resume')
      .option('--image <ref...>', 'image reference, e.g. registry.gitlab.com/org/image:tag (repeatable)')
      .option('--model <repo...>', 'hub model REPO[@REVISION], e.g. mistralai/Mistral-Small-3.2-24B-Instruct-2506 (repeatable)')
      .option('--hub-url <url>', 'Hugging Face–compatible hub (default https://huggingface.co or $FERRY_HUB_URL)')
      .option('--platform <os/arch>', 'image platform to select from multi-platform indexes (default linux/amd64)')
      .option('--insecure-registry <host...>', 'allow plain HTTP to this non-loopback registry')
      .requiredOption('--out <dir>', 'bundle directory to create')
      .option('--release-notes <file>', 'Markdown file carried as notes/RELEASE-NOTES.md (shown by ferry upgrade)')
      .option('--migration-guide <file>', 'Markdown file carried as notes/MIGRATION-GUIDE.md (shown by ferry upgrade)')
      .option('--inventory <file>', 'signed offline inventory (ferry inventory export): leave out what it lists, making a delta bundle')
      .action(async (o: Opts) =>
        withServices(o, async (cli) => {
          const started = await cli.handlers['bundle:create']({
            images: o.image ?? [],
            models: o.model ?? [],
            outDir: resolve(o.out), // the handler's output-folder rule (bundle/output-folder.ts) needs an absolute path
            hubUrl: o.hubUrl,
            platform: o.platform,
            insecureRegistries: o.insecureRegistry,
            ...acquireFields(o),
            ...(o.releaseNotes ? { releaseNotes: o.releaseNotes } : {}),
            ...(o.migrationGuide ? { migrationGuide: o.migrationGuide } : {}),
            ...(o.inventory ? { inventory: o.inventory } : {}),
          });
          const r = jobResult<CreateResult>(await followJob(cli, started));
          print(cli, r, () => createSummary(r) + deltaSummary(r));
        }),
      ),
  );
  return bundle;
}
