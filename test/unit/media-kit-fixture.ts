import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KIT_FORMAT, type KitManifest } from '../../src/main/kit/kit-schema';
import { writeManifest } from '../../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * A small fake offline kit: the layout readKit/verifyKit expect (launcher, node/bin/node, app/start.cjs,
 * app/cli.cjs, a licence) with kit.json listing every file's size and sha256. `nodeBytes` sizes the
 * stand-in node binary (random bytes), so tests can make a kit too large for a volume.
 */
export function makeFakeKit(dir: string, opts: { nodeBytes?: number } = {}): { dir: string; sha256: string; manifest: KitManifest; bytes: number } {
  const files: Record<string, { bytes: Buffer; executable?: boolean }> = {
    ferry: { bytes: Buffer.from('#!/bin/sh\nhere=$(dirname "$0")\nexec "$here/node/bin/node" "$here/app/start.cjs" "$@"\n'), executable: true },
    'node/bin/node': { bytes: randomBytes(opts.nodeBytes ?? 64 * 1024), executable: true },
    'app/start.cjs': { bytes: Buffer.from("require('./cli.cjs').main(process.argv.slice(2));\n") },
    'app/cli.cjs': { bytes: Buffer.from(`exports.main = () => console.log('ferry (fake kit) ${randomBytes(4).toString('hex')}');\n`.repeat(50)) },
    'LICENSES/node.txt': { bytes: Buffer.from('MIT License (stand-in)\n') },
  };
  for (const [rel, f] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), f.bytes);
    if (f.executable) chmodSync(join(dir, rel), 0o755);
  }
  const manifest: KitManifest = {
    format: KIT_FORMAT,
    ferry: { version: '0.1.0', commit: '0123456789abcdef0123456789abcdef01234567' },
    platform: 'linux/amd64',
    node: { version: '22.14.0', source: 'test fixture' },
    builtAt: '2026-12-02T09:00:00.000Z',
    entry: 'app/start.cjs',
    files: Object.entries(files).map(([path, f]) => ({ path, size: f.bytes.length, sha256: sha(f.bytes), ...(f.executable ? { executable: true } : {}) })),
  };
  const json = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'kit.json'), json);
  return { dir, sha256: sha(json), manifest, bytes: json.length + manifest.files.reduce((a, f) => a + f.size, 0) };
}

/** Flips one byte of a file in place (same size). */
export function flipByte(file: string, at = 10): void {
  const b = readFileSync(file);
  b[at % b.length] ^= 0xff;
  writeFileSync(file, b);
}

/** A small model-only bundle (unsigned creation, no recipe) of `sizes` bytes per file. */
export async function makeSmallBundle(dir: string, bundleId: string, sizes: number[] = [300, 900 * 1024]): Promise<BundleManifest> {
  mkdirSync(join(dir, 'models/org--m'), { recursive: true });
  const list = sizes.map((n, i) => {
    const b = randomBytes(n);
    const path = `file${i}.bin`;
    writeFileSync(join(dir, 'models/org--m', path), b);
    return { path, size: n, sha256: sha(b) };
  });
  const m: BundleManifest = {
    format: BUNDLE_FORMAT, bundleId, createdAt: '2026-11-23T06:00:00.000+00:00', createdBy: { actor: 'op', station: 's' }, tool: { name: 'ferry', version: '0.1.0' },
    artifacts: [{ kind: 'model', name: 'org/m', source: 'http://127.0.0.1/org/m', hubUrl: 'http://127.0.0.1', repo: 'org/m', requestedRevision: 'main', revision: 'c'.repeat(40), dir: 'models/org--m', size: sizes.reduce((a, n) => a + n, 0), files: list }],
    files: list.map((f) => ({ ...f, path: `models/org--m/${f.path}` })),
  };
  await writeManifest(dir, m);
  return m;
}
