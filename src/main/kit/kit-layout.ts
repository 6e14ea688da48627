import type { KitManifest, KitSummary } from './kit-schema';

/**
 * Where things are inside a kit folder (docs/offline-kit.md). The one place these names live:
 * the builder writes them, start.cjs and verifyKit check them.
 */
export const KIT_NODE = 'node/bin/node';
export const KIT_ENTRY = 'app/start.cjs';
/** What start.cjs loads: a small shim that imports the CLI's ES modules under KIT_CLI_DIR. */
export const KIT_CLI = 'app/cli.cjs';
export const KIT_CLI_DIR = 'app/cli';
export const KIT_RENDERER_DIR = 'app/renderer';
/** Found by recipe-catalog's walk up from app/cli.cjs (app/resources/recipes). */
export const KIT_RECIPES_DIR = 'app/resources/recipes';
export const KIT_LICENSES_DIR = 'LICENSES';

/**
 * At every start the kit hashes every file in full except the node binary (about 120 MB), of which it
 * checks the size and the sha256 of its first and last QUICK_CHECK_BYTES bytes (start.cjs carries that
 * digest); `ferry kit verify` hashes everything in full.
 */
export const QUICK_CHECK_BYTES = 1 << 20;
/** Files checked by size + head/tail at start instead of a full hash. */
export const QUICK_CHECKED = [KIT_NODE] as const;
/** Their fast-check digests (`{ [path]: { size, headTailSha256 } }`), listed and fully hashed in kit.json. */
export const KIT_QUICK_FILE = 'app/kit-quick.json';

/** What the kit sets before it loads the CLI: the kit never ships better-sqlite3 (docs/offline-kit.md). */
export const KIT_ENV = { FERRY_SQLITE: 'node' } as const;

/** The launcher (POSIX sh): runs the kit's own node on the entry, which checks the kit before anything else. */
export function launcherScript(): string {
  return [
    '#!/bin/sh',
    '# Ferry offline kit: runs the kit\'s own Node.js on app/start.cjs, which checks every file of the kit',
    '# against kit.json before it loads Ferry. Nothing is written next to this file.',
    'self=$(readlink -f -- "$0" 2>/dev/null) || self=$0',
    'here=$(CDPATH= cd -- "$(dirname -- "$self")" && pwd -P) || exit 1',
    `exec "$here/${KIT_NODE}" --disable-warning=ExperimentalWarning "$here/${KIT_ENTRY}" "$@"`,
    '',
  ].join('\n');
}

/** The summary the rest of Ferry shows (review document, volume label, `ferry --version`). */
export function kitSummary(manifest: KitManifest, sha256: string): KitSummary {
  return {
    version: manifest.ferry.version,
    commit: manifest.ferry.commit,
    platform: manifest.platform,
    nodeVersion: manifest.node.version,
    sha256,
    files: manifest.files.length,
    bytes: manifest.files.reduce((n, f) => n + f.size, 0),
  };
}
