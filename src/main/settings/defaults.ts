import { DEFAULT_PLATFORM } from '../registry/platform';

// Where a request names no source, these are used: resolved here once, for every front end
// (the handlers apply them; the CLI and the app pass only what the user gave). Mirrors: the
// station's saved list when a request names none (effectiveMirrors, station-settings.ts).

/** The Hugging Face–compatible hub used when neither the request nor $FERRY_HUB_URL names one. */
export const DEFAULT_HUB_URL = 'https://huggingface.co';
export { DEFAULT_PLATFORM };

/** The hub: the request's, else $FERRY_HUB_URL, else huggingface.co (no trailing slash). */
export function hubUrlOf(requested: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return (requested || env.FERRY_HUB_URL || DEFAULT_HUB_URL).replace(/\/+$/, '');
}

/** The hub token: $HF_TOKEN (never stored, never part of a request). */
export function hubTokenOf(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.HF_TOKEN || undefined;
}

/** The image platform: the request's, else linux/amd64. */
export function platformOf(requested: string | undefined): string {
  return requested || DEFAULT_PLATFORM;
}

/** Hub, platform and hub token of a request that fetches (mirrors: effectiveMirrors in station-settings.ts). */
export function sourceDefaults(req: { hubUrl?: string; platform?: string }, env: NodeJS.ProcessEnv = process.env): { hubUrl: string; platform: string; hubToken?: string } {
  const hubToken = hubTokenOf(env);
  return { hubUrl: hubUrlOf(req.hubUrl, env), platform: platformOf(req.platform), ...(hubToken ? { hubToken } : {}) };
}
