import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FerryError } from '../../shared/errors';

/**
 * esbuild for the kit: the CLI (with the headless server) into ES modules for node 22 (app/cli/, behind
 * the small app/cli.cjs), and the kit's entry (app/start.cjs). What the kit does not ship is replaced by
 * a module that throws when used, and the build fails if the bundle would still load anything but node
 * built-ins: nothing can be picked up from a node_modules folder next to or above the kit on a medium.
 */

/**
 * Not in the kit. better-sqlite3: the kit uses node:sqlite; electron: CLI only; cpu-features and native
 * addons (`*.node` files, e.g. ssh2's sshcrypto.node): optional native parts their users try and do
 * without; xmlbuilder2, libxmljs2: optional XML plug-ins of @cyclonedx/cyclonedx-library, not installed
 * (Ferry writes JSON BOMs).
 */
const ABSENT = [/^better-sqlite3$/, /^electron$/, /^cpu-features$/, /^xmlbuilder2$/, /^libxmljs2$/];

/** A native addon, not a module whose name ends in `.node` (e.g. cyclonedx's `./serialize/index.node`). */
function isNativeAddon(path: string, resolveDir: string): boolean {
  return path.endsWith('.node') && !existsSync(join(resolveDir, `${path}.js`)) && !existsSync(join(resolveDir, path, 'package.json'));
}

export interface BundleResult {
  /** Relative paths (from the checkout) of every input file: the packages in the bundle are read from them. */
  inputs: string[];
  bytes: number;
  /** esbuild's warnings (e.g. a dynamic require it could not follow). */
  warnings: string[];
}

type Esbuild = typeof import('esbuild');

/**
 * esbuild from the checkout's node_modules, loaded at run time (not bundled: its JS API finds its native
 * binary relative to itself; and a kit builds kits by copying itself, without esbuild).
 */
function esbuild(root: string): Esbuild {
  try {
    const m = createRequire(join(root, 'package.json'))('esbuild') as Esbuild;
    if (typeof m.build === 'function') return m;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
  }
  throw new FerryError(`esbuild is not installed in ${root}, so this Ferry cannot build a kit`, 'Build the kit from a source checkout after `npm install` (esbuild is a dependency).');
}

const absentPlugin = {
  name: 'ferry-kit-absent',
  setup(build: import('esbuild').PluginBuild): void {
    build.onResolve({ filter: /.*/ }, (args) => (ABSENT.some((re) => re.test(args.path)) || isNativeAddon(args.path, args.resolveDir) ? { path: args.path, namespace: 'ferry-kit-absent' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'ferry-kit-absent' }, (args) => ({
      contents: `module.exports = function absent() { throw new Error(${JSON.stringify(`${args.path} is not part of the Ferry offline kit`)}); };`,
      loader: 'js',
    }));
  },
};

/**
 * In ES modules, what the bundled CommonJS code and Ferry's own code expect of a CommonJS module:
 * `require` (for node built-ins), `__filename`/`__dirname` (recipe-catalog walks up from it to
 * app/resources/recipes), and `module` (undefined: `require.main === module` is false, as it is for a
 * module the entry loads).
 */
const ESM_BANNER = [
  "import { createRequire as __ferryCreateRequire } from 'node:module';",
  "import { fileURLToPath as __ferryFileURLToPath } from 'node:url';",
  "import { dirname as __ferryDirname } from 'node:path';",
  'const require = __ferryCreateRequire(import.meta.url);',
  'const __filename = __ferryFileURLToPath(import.meta.url);',
  'const __dirname = __ferryDirname(__filename);',
  'const module = undefined;',
].join(' ');

/** app/cli.cjs: what start.cjs loads; the CLI itself is ES modules split by what each command needs. */
const CLI_SHIM = `'use strict';
// Ferry's CLI and headless server: ES modules under ./cli/, split so that a command loads only what it runs.
exports.main = (argv) => import('./cli/cli.mjs').then((m) => m.main(argv));
`;

/**
 * The CLI bundle: `shim` (app/cli.cjs) and, beside it, `cli/cli.mjs` with `cli/chunks/`: esbuild's
 * code splitting (ESM only) keeps `ferry --version` from parsing the whole app (~3 MB) at every start.
 * `minify` trades readable stack traces for start-up time.
 */
export async function bundleCli(root: string, shim: string, opts: { minify?: boolean } = {}): Promise<BundleResult> {
  const { build } = esbuild(root);
  const r = await build({
    absWorkingDir: root,
    entryPoints: { cli: join(root, 'src/main/cli/index.ts') },
    outdir: join(dirname(shim), 'cli'),
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    banner: { js: ESM_BANNER },
    minify: opts.minify ?? false,
    legalComments: 'none', // the licences are in LICENSES/
    metafile: true,
    logLevel: 'silent',
    plugins: [absentPlugin, dynamicCjsPlugin(root)],
    // node's built-in punycode is deprecated (a warning on every run that loads ajv-formats-draft2019); the
    // same code is on npm as `punycode`, so bundle that one instead.
    ...(existsSync(join(root, 'node_modules', 'punycode', 'package.json')) ? { alias: { punycode: 'punycode/' } } : {}),
  });
  if (r.errors.length > 0) throw new FerryError(`esbuild failed: ${r.errors[0]!.text}`);
  onlyBuiltins(r.metafile, 'app/cli');
  await writeFile(shim, CLI_SHIM);
  return { inputs: Object.keys(r.metafile.inputs), bytes: Object.values(r.metafile.outputs).reduce((n, o) => n + o.bytes, 0) + CLI_SHIM.length, warnings: r.warnings.map((w) => w.text) };
}

/**
 * `await import('pkg')` of a CommonJS package: under code splitting esbuild hands back only
 * `{ default }`, where Node (and the checkout's build) also gives its named exports
 * (`const { parseDocument } = await import('yaml')`). So such an import goes through a small ES module
 * that re-exports the package's names, read from the package itself at build time.
 */
function dynamicCjsPlugin(root: string): import('esbuild').Plugin {
  const req = createRequire(join(root, 'package.json'));
  return {
    name: 'ferry-kit-dynamic-cjs',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.kind !== 'dynamic-import' || args.path.startsWith('node:') || builtinModules.includes(args.path)) return undefined;
        return { path: args.path, namespace: 'ferry-kit-dynamic-cjs' };
      });
      build.onLoad({ filter: /.*/, namespace: 'ferry-kit-dynamic-cjs' }, (args) => {
        let names: string[];
        try {
          names = Object.keys(req(args.path) as object).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k));
        } catch {
          names = []; // not loadable here (an ES module package): its default export is all esbuild gives anyway
        }
        const lines = [`import * as ns from ${JSON.stringify(args.path)};`, 'export default ns.default;', ...names.map((k) => `export const ${k} = ns[${JSON.stringify(k)}];`)];
        return { contents: lines.join('\n'), loader: 'js', resolveDir: root };
      });
    },
  };
}

/** The bundle may load node built-ins only (and start.cjs its ./cli.cjs): nothing from a node_modules on the medium. */
function onlyBuiltins(metafile: import('esbuild').Metafile, what: string, allowed: string[] = []): void {
  const builtins = new Set(builtinModules);
  for (const out of Object.values(metafile.outputs)) {
    for (const imp of out.imports) {
      if (!imp.external || allowed.includes(imp.path) || imp.path.startsWith('node:') || builtins.has(imp.path)) continue;
      throw new FerryError(`${what} would load ${imp.path} from outside the kit at run time`, 'Bundle it, or add it to the absent modules in src/main/kit/kit-bundle.ts.');
    }
  }
}

/** The kit's entry (src/main/kit/kit-start.ts) → `outfile` (app/start.cjs); it loads ./cli.cjs itself. */
export async function bundleStart(root: string, outfile: string): Promise<BundleResult> {
  const { build } = esbuild(root);
  const r = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src/main/kit/kit-start.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    external: ['./cli.cjs'],
  });
  if (r.errors.length > 0) throw new FerryError(`esbuild failed: ${r.errors[0]!.text}`);
  const inputs = Object.keys(r.metafile.inputs);
  const foreign = inputs.filter((p) => p.includes('node_modules/'));
  if (foreign.length > 0) throw new FerryError(`the kit's entry must use node built-ins only, but bundles ${foreign[0]}`);
  onlyBuiltins(r.metafile, 'app/start.cjs', ['./cli.cjs']);
  return { inputs, bytes: Object.values(r.metafile.outputs).reduce((n, o) => n + o.bytes, 0), warnings: r.warnings.map((w) => w.text) };
}

/** The npm packages the renderer bundle is made of (vite built out/renderer; esbuild lists its inputs). */
export async function rendererInputs(root: string): Promise<string[]> {
  const { build } = esbuild(root);
  const r = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src/renderer/src/main.tsx')],
    bundle: true,
    write: false,
    outdir: join(root, 'out', '.kit-renderer-scan'),
    platform: 'browser',
    format: 'esm',
    metafile: true,
    logLevel: 'silent',
    loader: { '.png': 'empty', '.svg': 'empty', '.woff': 'empty', '.woff2': 'empty', '.ttf': 'empty' },
  });
  return Object.keys(r.metafile.inputs);
}
