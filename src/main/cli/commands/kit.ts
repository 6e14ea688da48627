import { Command, Option } from 'commander';
import { formatBytes } from '../../../shared/format';
import { UsageError } from '../../../shared/errors';
import { defaultDataDir } from '../../core/paths';
import type { KitPlatform } from '../../kit/kit-schema';
import { EXIT, print, withCommon, type CommonOptions } from '../context';

interface BuildOpts extends CommonOptions {
  out: string;
  platform?: string;
  minify: boolean;
}

// Start-up: the kit modules (zod, esbuild) load when a kit command runs, not when the CLI starts.
async function parsePlatform(v?: string): Promise<KitPlatform | undefined> {
  if (v === undefined) return undefined;
  const { KIT_PLATFORMS } = await import('../../kit/kit-schema');
  if (!(KIT_PLATFORMS as readonly string[]).includes(v)) throw new UsageError(`--platform ${v} is not one the kit supports`, `Use one of: ${KIT_PLATFORMS.join(', ')}.`);
  return v as KitPlatform;
}

function buildCommand(): Command {
  return withCommon(new Command('build'))
    .description('write the offline kit: Ferry and its own Node.js in one folder that runs on Linux (glibc ≥ 2.28) with nothing installed')
    .requiredOption('--out <dir>', 'the kit folder to create (must not exist or be empty)')
    .addOption(new Option('--platform <platform>', 'linux/amd64 or linux/arm64: the platform of the kit\'s Node.js (default: this host\'s)'))
    .option('--no-minify', 'keep app/cli.cjs readable (slower start-up)')
    .action(async (o: BuildOpts) => {
      const { buildKit } = await import('../../kit/kit-build');
      const { nodeRuntimeCacheDir } = await import('../../kit/kit-source');
      const ac = new AbortController();
      const onSigint = (): void => ac.abort();
      process.once('SIGINT', onSigint);
      try {
        const k = await buildKit({
          out: o.out,
          platform: await parsePlatform(o.platform),
          cacheDir: nodeRuntimeCacheDir(o.dataDir ?? defaultDataDir()),
          minify: o.minify,
          signal: ac.signal,
          onProgress: o.json ? undefined : (m) => process.stderr.write(`  ${m}\n`),
        });
        print({ json: !!o.json }, { dir: k.dir, sha256: k.sha256, summary: k.summary }, () =>
          [
            `Offline kit written to ${k.dir}`,
            `  Ferry ${k.summary.version} (${k.summary.commit}), ${k.summary.platform}, node ${k.summary.nodeVersion}`,
            `  ${k.summary.files} files, ${formatBytes(k.summary.bytes)}; kit digest (sha256 of kit.json) ${k.sha256}`,
            `  Run it as ${k.dir}/ferry …`,
          ].join('\n'),
        );
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}

function verifyCommand(): Command {
  return withCommon(new Command('verify'))
    .description('hash every file of an offline kit against its kit.json (default: the kit this Ferry runs from); exit 1 on any problem')
    .argument('[dir]', 'the kit folder (the one holding kit.json)')
    .action(async (dir: string | undefined, o: CommonOptions) => {
      const { runningKit } = await import('../../kit/running-kit');
      const target = dir ?? runningKit()?.dir;
      if (!target) throw new UsageError('This Ferry does not run from an offline kit, so there is no kit to verify', 'Give the kit folder: ferry kit verify DIR.');
      const { verifyKit } = await import('../../kit/kit-verify');
      const r = await verifyKit(target, { full: true });
      print({ json: !!o.json }, { dir: target, ...r }, () =>
        r.ok
          ? `OK: offline kit ${r.summary.sha256.slice(0, 12)}… (Ferry ${r.summary.version}, ${r.summary.platform}, node ${r.summary.nodeVersion}): ${r.summary.files} files, ${formatBytes(r.summary.bytes)} match kit.json`
          : [`FAILED: the kit in ${target} was modified (${r.problems.length} problem(s)); do not use it, copy it again from the approved media`, ...r.problems.map((p) => `  ${p.path}: ${p.problem}`)].join('\n'),
      );
      if (!r.ok) process.exitCode = EXIT.failed;
    });
}

/** `ferry kit build --out DIR [--platform]`, `ferry kit verify [DIR]` (docs/offline-kit.md). */
export function kitCommand(): Command {
  return new Command('kit').description('build or verify the offline kit (Ferry and its own Node.js in one folder)').addCommand(buildCommand()).addCommand(verifyCommand());
}
