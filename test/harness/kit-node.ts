import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KitPlatform } from '../../src/main/kit/kit-schema';
import { nodeRuntime, type NodeRuntime } from '../../src/main/kit/node-runtime';

/**
 * Where tests keep the official Node.js 22 runtimes they fetch (about 50 MiB per platform, once):
 * FERRY_TEST_NODE_CACHE, else $XDG_CACHE_HOME/ferry-test/node (~/.cache/ferry-test/node).
 */
export function testNodeCache(env: NodeJS.ProcessEnv = process.env): string {
  return env.FERRY_TEST_NODE_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ferry-test', 'node');
}

/** The Node ≥ 22.13 runtime for `platform` (this host's by default), fetched into the test cache on first use. */
export function testNodeRuntime(platform: KitPlatform = process.arch === 'arm64' ? 'linux/arm64' : 'linux/amd64'): Promise<NodeRuntime> {
  return nodeRuntime({ platform, cacheDir: testNodeCache() });
}
