import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KIT_LICENSES_DIR } from './kit-layout';

/**
 * LICENSES/ of a kit: Node.js's licence, and the licence files of every npm package bundled into the CLI
 * or the renderer (found from esbuild's list of inputs). A package without a licence file is named in
 * LICENSES/README.txt with the licence its package.json declares.
 */

export interface BundledPackage {
  name: string;
  version: string;
  /** Folder relative to the checkout, e.g. `node_modules/@grpc/grpc-js`. */
  dir: string;
  license: string;
}

const LICENSE_FILE = /^(licen[cs]e|copying|notice)(\.|-|$)/i;

/** The packages that esbuild input paths (relative to the checkout) come from, sorted by name and version. */
export async function bundledPackages(root: string, inputs: string[]): Promise<BundledPackage[]> {
  const dirs = new Set<string>();
  for (const p of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(p);
    if (m) dirs.add(m[1]!);
  }
  const out: BundledPackage[] = [];
  for (const dir of dirs) {
    const pkg = JSON.parse(await readFile(join(root, dir, 'package.json'), 'utf8')) as { name?: string; version?: string; license?: unknown };
    const license = typeof pkg.license === 'string' ? pkg.license : typeof (pkg.license as { type?: unknown })?.type === 'string' ? (pkg.license as { type: string }).type : 'UNKNOWN';
    out.push({ name: pkg.name ?? dir.split('node_modules/').pop()!, version: pkg.version ?? '0.0.0', dir, license });
  }
  const seen = new Set<string>();
  return out
    .sort((a, b) => (a.name === b.name ? a.version.localeCompare(b.version) : a.name < b.name ? -1 : 1))
    .filter((p) => {
      const key = `${p.name}@${p.version}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** Writes `<kit>/LICENSES/`: node.txt, npm/<name>@<version>/<licence files>, README.txt. */
export async function writeLicenses(kit: string, root: string, opts: { nodeLicense: string; nodeVersion: string; ferryLicense: string; packages: BundledPackage[] }): Promise<void> {
  const dir = join(kit, KIT_LICENSES_DIR);
  await mkdir(join(dir, 'npm'), { recursive: true });
  await copyFile(opts.nodeLicense, join(dir, 'node.txt'));
  const lines = [
    'Licences of what this Ferry offline kit ships.',
    '',
    `Ferry itself: ${opts.ferryLicense} (see the Ferry source repository).`,
    `Node.js ${opts.nodeVersion} (node/bin/node): node.txt (this covers the libraries Node.js bundles).`,
    '',
    'npm packages bundled into app/cli.cjs and app/renderer/ (name@version, declared licence, files here):',
  ];
  const without: string[] = [];
  for (const p of opts.packages) {
    const files = (await readdir(join(root, p.dir))).filter((f) => LICENSE_FILE.test(f)).sort();
    const target = join(dir, 'npm', `${p.name}@${p.version}`);
    if (files.length > 0) await mkdir(target, { recursive: true });
    for (const f of files) await copyFile(join(root, p.dir, f), join(target, f));
    lines.push(`  ${p.name}@${p.version}  ${p.license}  ${files.length > 0 ? files.map((f) => `npm/${p.name}@${p.version}/${f}`).join(', ') : '(no licence file in the package)'}`);
    if (files.length === 0) without.push(`${p.name}@${p.version} (${p.license})`);
  }
  lines.push('', without.length > 0 ? `Packages without a licence file (their package.json declares the licence given): ${without.join(', ')}` : 'Every bundled package has a licence file here.', '');
  await writeFile(join(dir, 'README.txt'), lines.join('\n'));
}
