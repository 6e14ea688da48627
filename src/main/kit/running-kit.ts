import { FERRY_VERSION } from '../core/version';
import { join } from 'node:path';
import type { KitSummary } from './kit-schema';
import { KIT_RENDERER_DIR } from './kit-layout';

/**
 * The kit this process was started from, if any. app/start.cjs (the kit's entry) checks the kit, then
 * puts `{ dir, summary }` on this global symbol before it loads app/cli.cjs; a checkout never sets it.
 * A global, not an environment variable: child processes (docker, skopeo, a checkout's ferry) must not
 * inherit it.
 */
export const RUNNING_KIT_KEY = Symbol.for('ferry.runningKit');

export interface RunningKit {
  /** Absolute path of the kit folder (where the launcher is). */
  dir: string;
  summary: KitSummary;
}

export function runningKit(): RunningKit | undefined {
  const v = (globalThis as Record<symbol, unknown>)[RUNNING_KIT_KEY] as RunningKit | undefined;
  if (!v || typeof v.dir !== 'string' || typeof v.summary !== 'object' || v.summary === null) return undefined;
  return v;
}

/** For tests and for start.cjs's contract: what start.cjs sets. */
export function setRunningKit(kit: RunningKit | undefined): void {
  (globalThis as Record<symbol, unknown>)[RUNNING_KIT_KEY] = kit;
}

/**
 * `ferry --version`: the plain version from a checkout; from a kit
 * `0.1.0 (offline kit 1a2b3c4d…, linux/amd64, node 22.x, /media/v1/ferry)`.
 */
export function versionLine(): string {
  const kit = runningKit();
  if (!kit) return FERRY_VERSION;
  const s = kit.summary;
  return `${s.version} (offline kit ${s.sha256.slice(0, 8)}…, ${s.platform}, node ${s.nodeVersion}, ${kit.dir})`;
}

/** The renderer assets of the running kit (app/renderer), or undefined outside a kit. */
export function kitRendererDir(): string | undefined {
  const kit = runningKit();
  return kit ? join(kit.dir, KIT_RENDERER_DIR) : undefined;
}
