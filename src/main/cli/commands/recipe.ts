import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { CreateBundleRequest, RecipeInfo, ResolvedRecipe } from '../../../shared/api';
import { UsageError } from '../../../shared/errors';
import { formatBytes, shortDigest } from '../../../shared/format';
import type { CreateResult } from '../../bundle/create';
import { parseSets } from '../../recipes/params';
import { followJob, jobResult, print, withCommon, withServices, type CommonOptions } from '../context';
import { withSigning } from './identity';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export interface SourceOpts {
  set?: string[];
  mirror?: string[];
  hubUrl?: string;
  platform?: string;
  insecureRegistry?: string[];
  hfCache?: string;
  ollamaDir?: string;
}

/** Options shared by `recipe resolve`, `bundle create` and `acquire`. */
export function withSourceOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--set <name=value>', 'recipe parameter (repeatable)').argParser(collect))
    .addOption(new Option('--mirror <source=host>', 'fetch SOURCE registry content from HOST[:PORT][/PREFIX], e.g. registry.gitlab.com=127.0.0.1:5101 (repeatable)').argParser(collect))
    .option('--hf-cache <dir>', 'take model files from this Hugging Face cache first (e.g. ~/.cache/huggingface/hub)')
    .option('--ollama-dir <dir>', 'take Ollama models from this models folder first (e.g. ~/.ollama/models)');
}

export interface AcquireOpts extends SourceOpts {
  recipe?: string;
  lock?: string;
  ollama?: string[];
  file?: string[];
  parallel?: string;
}

/** The recipe/lock/source fields of a bundle:create request from CLI options. */
export function acquireFields(o: AcquireOpts): Partial<CreateBundleRequest> {
  const parallel = o.parallel === undefined ? undefined : Number(o.parallel);
  if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1 || parallel > 64)) throw new UsageError(`--parallel ${o.parallel}: give a whole number from 1 to 64`);
  return {
    ...(o.recipe ? { recipe: o.recipe } : {}),
    ...(o.set?.length ? { params: parseSets(o.set) } : {}),
    ...(o.mirror?.length ? { mirrors: o.mirror } : {}),
    ...(o.lock ? { lockFile: o.lock } : {}),
    ...(o.ollama?.length ? { ollama: o.ollama } : {}),
    ...(o.file?.length ? { files: o.file } : {}),
    ...(o.hfCache ? { hfCache: o.hfCache } : {}),
    ...(o.ollamaDir ? { ollamaDir: o.ollamaDir } : {}),
    ...(parallel !== undefined ? { concurrency: parallel } : {}),
  };
}

/** `--recipe`, `--lock`, `--ollama`, `--file`, `--parallel` plus the source options, for `bundle create`. */
export function withAcquireOptions(cmd: Command): Command {
  return withSourceOptions(cmd)
    .option('--recipe <id>', 'bundle a recipe (ferry recipe list), with --set for its parameters')
    .option('--lock <file>', 'acquire exactly this lock (from ferry recipe resolve --lock-out)')
    .addOption(new Option('--ollama <name>', 'Ollama model NAME[:TAG] (repeatable)').argParser(collect))
    .addOption(new Option('--file <path>', 'local file or folder (repeatable)').argParser(collect))
    .option('--parallel <n>', 'parallel transfers (default 8)');
}

export function createSummary(r: CreateResult): string {
  return [
    `Created bundle ${r.bundleId}${r.resumed ? ' (resumed)' : ''}`,
    `  ${r.dir}`,
    `  ${r.files} files, ${formatBytes(r.bytes)}`,
    `  fetched ${formatBytes(r.fetchedBytes)}, from local sources ${formatBytes(r.localBytes)}, kept from an earlier run ${formatBytes(r.reusedBytes)}${r.resumedFiles ? ` (${r.resumedFiles} partial download(s) continued)` : ''}`,
    `  manifest sha256 ${r.manifestSha256}`,
  ].join('\n');
}

function lockTable(r: ResolvedRecipe): string {
  const rows = r.entries.map((e) => [e.kind, e.id, e.source, e.pinned.startsWith('sha256:') ? shortDigest(e.pinned) : e.pinned.slice(0, 19), formatBytes(e.size)]);
  const head = ['kind', 'id', 'source', 'pinned', 'size'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)));
  const line = (x: string[]) => x.map((c, i) => (i === 4 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ');
  return [line(head), ...rows.map(line), `total to acquire: ${formatBytes(r.totalBytes)} (shared layers counted once)`, `lock ${r.lockId}`].join('\n');
}

function recipeText(r: RecipeInfo): string {
  const params = r.parameters.map((p) => `  --set ${p.name}=${p.type === 'enum' ? p.choices!.join('|') : p.type === 'bool' ? 'true|false' : 'VALUE'}${p.default !== undefined ? `  (default ${String(p.default)})` : p.stage === 'install' ? '  (install)' : '  (required)'}${p.description ? `  ${p.description}` : ''}`);
  const a = r.artifacts;
  return [`${r.id} ${r.version} — ${r.title} (${r.origin}: ${r.file})`, ...(r.description ? [r.description.trim()] : []), 'parameters:', ...(params.length ? params : ['  (none)']), `artifacts: images ${a.images.join(', ') || '-'}; models ${a.models.join(', ') || '-'}; ollama ${a.ollama.join(', ') || '-'}; files ${a.files.join(', ') || '-'}`].join('\n');
}

interface ResolveOpts extends CommonOptions, SourceOpts {
  lockOut?: string;
}

function resolveCommand(name: string): Command {
  return withSourceOptions(withCommon(new Command(name)))
    .description('resolve a recipe to a lock (digests, commits, sizes) and print it, fetching nothing big')
    .argument('<recipe>', 'recipe id or recipe file')
    .option('--hub-url <url>', 'Hugging Face–compatible hub (default https://huggingface.co or $FERRY_HUB_URL)')
    .option('--platform <os/arch>', 'image platform (default linux/amd64)')
    .addOption(new Option('--insecure-registry <host>', 'allow plain HTTP to this non-loopback registry (repeatable)').argParser(collect))
    .option('--lock-out <file>', 'also write the lock to this file (for ferry acquire --lock)')
    .action(async (recipe: string, o: ResolveOpts) =>
      withServices(o, async (cli) => {
        const r = await cli.handlers['recipe:resolve']({
          recipe,
          params: parseSets(o.set),
          ...(o.platform ? { platform: o.platform } : {}),
          ...(o.hubUrl ? { hubUrl: o.hubUrl } : {}),
          ...(o.mirror ? { mirrors: o.mirror } : {}),
          ...(o.insecureRegistry ? { insecureRegistries: o.insecureRegistry } : {}),
          ...(o.hfCache ? { hfCache: o.hfCache } : {}),
          ...(o.ollamaDir ? { ollamaDir: o.ollamaDir } : {}),
        });
        if (o.lockOut) await writeFile(o.lockOut, `${JSON.stringify(r.lock, null, 2)}\n`);
        print(cli, r, () => lockTable(r));
      }),
    );
}

/** `ferry recipe list|show|resolve|schema`, plus the `ferry resolve` and `ferry acquire` shortcuts. */
export function recipeCommands(): Command[] {
  const recipe = new Command('recipe').description('recipes: what a stack needs, resolved to exact digests before anything is fetched');
  recipe.addCommand(
    withCommon(new Command('list'))
      .description('list built-in and user recipes (<data-dir>/recipes/*.yaml)')
      .action(async (o: CommonOptions) =>
        withServices(o, async (cli) => {
          const list = await cli.handlers['recipe:list']({});
          print(cli, list, () => list.map((r) => `${r.id.padEnd(24)} ${r.version.padEnd(7)} ${r.origin.padEnd(8)} ${r.title}`).join('\n'));
        }),
      ),
  );
  recipe.addCommand(
    withCommon(new Command('show'))
      .description('show a recipe: parameters, artifacts (with --json: the whole recipe)')
      .argument('<id>', 'recipe id or recipe file')
      .action(async (id: string, o: CommonOptions) => withServices(o, async (cli) => {
        const r = await cli.handlers['recipe:show']({ id });
        print(cli, r, () => recipeText(r));
      })),
  );
  recipe.addCommand(resolveCommand('resolve'));
  recipe.addCommand(
    new Command('schema').description('print the recipe JSON Schema (docs/recipe.schema.json)').action(async () => {
      const { recipeJsonSchema } = await import('../../recipes/recipe-schema');
      process.stdout.write(`${JSON.stringify(recipeJsonSchema(), null, 2)}\n`);
    }),
  );
  const acquire = withSigning(withAcquireOptions(withCommon(new Command('acquire'))))
    .description('acquire a lock (or recipe) into a bundle directory; the same as bundle create')
    .requiredOption('--out <dir>', 'bundle directory to create')
    .option('--hub-url <url>', 'Hugging Face–compatible hub')
    .option('--platform <os/arch>', 'image platform (default linux/amd64)')
    .addOption(new Option('--insecure-registry <host>', 'allow plain HTTP to this non-loopback registry (repeatable)').argParser(collect))
    .action(async (o: AcquireOpts & CommonOptions & { out: string; hubUrl?: string; platform?: string }) =>
      withServices(o, async (cli) => {
        const started = await cli.handlers['bundle:create']({ images: [], models: [], outDir: o.out, hubUrl: o.hubUrl, platform: o.platform, insecureRegistries: o.insecureRegistry, ...acquireFields(o) });
        const r = jobResult<CreateResult>(await followJob(cli, started));
        print(cli, r, () => createSummary(r));
      }),
    );
  return [recipe, resolveCommand('resolve'), acquire];
}
