import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError, UsageError } from '../../shared/errors';
import { FERRY_VERSION } from '../core/version';
import { buildKit, checkoutCommit, checkoutRoot } from './kit-build';
import { readKit } from './kit-read';
import type { KitManifest, KitPlatform, KitSummary } from './kit-schema';
import { hostPlatform } from './kit-self-check';
import { verifyKit } from './kit-verify';
import { runningKit } from './running-kit';

export interface KitForMedia {
  dir: string;
  manifest: KitManifest;
  sha256: string;
  summary: KitSummary;
}

/** Where a station caches the kits it built, and the Node.js runtimes they were built with. */
export function kitsDir(dataDir: string): string {
  return join(dataDir, 'kits');
}
export function nodeRuntimeCacheDir(dataDir: string): string {
  return join(dataDir, 'node-runtimes');
}

async function checked(dir: string, what: string): Promise<KitForMedia> {
  const v = await verifyKit(dir, { full: true });
  if (!v.ok) {
    const p = v.problems[0]!;
    throw new FerryError(`${what} ${dir} does not match its kit.json: ${p.path} (${p.problem})${v.problems.length > 1 ? ` and ${v.problems.length - 1} more problem(s)` : ''}`, 'Use an unmodified kit: rebuild it with `ferry kit build`, or copy it again from the approved media.');
  }
  const r = await readKit(dir);
  return { dir, ...r };
}

/** Same content as far as a reviewer cares: everything but builtAt. */
function sameContent(a: KitManifest, b: KitManifest): boolean {
  return JSON.stringify({ ...a, builtAt: '' }) === JSON.stringify({ ...b, builtAt: '' });
}

async function cachedKits(root: string, prefix: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  return (await readdir(root)).filter((n) => n.startsWith(prefix)).sort().map((n) => join(root, n));
}

/**
 * The kit `ferry media write` puts on volume 1:
 * - `kitDir` when given (verified in full; its platform must match `platform` when both are given);
 * - else the running kit, when this Ferry is a kit of the wanted platform;
 * - else a kit built from this checkout, cached as `<dataDir>/kits/<version>-<platform>-<sha prefix>/`.
 *   A clean checkout reuses the cached kit of its commit; otherwise the kit is rebuilt and, when its
 *   content equals a cached one (all but builtAt), the cached one is used, so the digest a reviewer
 *   approved stays the same from one media set to the next.
 */
export async function kitForMedia(opts: {
  dataDir: string;
  platform?: KitPlatform;
  kitDir?: string;
  onProgress?: (msg: string) => void;
  signal?: AbortSignal;
}): Promise<KitForMedia> {
  if (opts.kitDir) {
    const k = await checked(opts.kitDir, 'The kit');
    if (opts.platform && k.manifest.platform !== opts.platform) throw new UsageError(`The kit ${opts.kitDir} is for ${k.manifest.platform}, not ${opts.platform}`, 'Give a kit built for that platform (ferry kit build --platform …).');
    return k;
  }
  const running = runningKit();
  const platform = opts.platform ?? running?.summary.platform ?? hostPlatform() ?? 'linux/amd64';
  if (running && running.summary.platform === platform) return checked(running.dir, 'The running kit');

  const root = kitsDir(opts.dataDir);
  const prefix = `${running?.summary.version ?? FERRY_VERSION}-${platform.replace('/', '-')}-`;
  const checkout = running ? undefined : checkoutRoot();
  const commit = checkout ? checkoutCommit(checkout) : undefined;
  if (commit && commit !== 'unknown' && !commit.endsWith('+dirty')) {
    for (const dir of await cachedKits(root, prefix)) {
      const k = await readKit(dir).catch(() => undefined);
      if (k?.manifest.ferry.commit === commit && k.manifest.platform === platform) return checked(dir, 'The cached kit');
    }
  }

  await mkdir(root, { recursive: true, mode: 0o700 });
  const building = join(root, `.build-${randomBytes(6).toString('hex')}`);
  opts.onProgress?.(`building the offline kit for ${platform}`);
  const built = await buildKit({ out: building, platform, cacheDir: nodeRuntimeCacheDir(opts.dataDir), onProgress: opts.onProgress, signal: opts.signal });
  try {
    for (const dir of await cachedKits(root, prefix)) {
      const k = await readKit(dir).catch(() => undefined);
      if (k && sameContent(k.manifest, built.manifest)) {
        const v = await verifyKit(dir, { full: true });
        if (v.ok) return { dir, ...k };
      }
    }
    const dir = join(root, `${prefix}${built.sha256.slice(0, 12)}`);
    if (existsSync(dir)) throw new FerryError(`${dir} exists but does not hold this kit`, `Remove ${dir} (a cached kit) and try again.`);
    await rename(building, dir);
    return { ...built, dir };
  } finally {
    await rm(building, { recursive: true, force: true }); // ours; gone already when it was kept
  }
}
