import { FerryError } from '../../shared/errors';
import { formatPlatform, platformMatches, type PlatformSpec } from './platform';

/**
 * Platform (`os/arch[/variant]`) recorded in an image config, or `unknown` when it names none;
 * throws when `want` is given and the config is for another platform. Also used for images
 * read from archives and the local Docker engine.
 */
export function platformOfConfig(bytes: Buffer, configDigest: string, where: string, want?: PlatformSpec): string {
  let os = '';
  let architecture = '';
  let variant: string | undefined;
  try {
    const c = JSON.parse(bytes.toString('utf8')) as { os?: unknown; architecture?: unknown; variant?: unknown };
    os = typeof c.os === 'string' ? c.os : '';
    architecture = typeof c.architecture === 'string' ? c.architecture : '';
    variant = typeof c.variant === 'string' && c.variant ? c.variant : undefined;
  } catch {
    throw new FerryError(`${where}: image config ${configDigest} is not valid JSON`, 'The image is corrupt.');
  }
  const have = { os, architecture, ...(variant ? { variant } : {}) };
  if (want && os && !platformMatches(have, want)) {
    throw new FerryError(`${where} is a single-platform image for ${formatPlatform(have)}, not ${formatPlatform(want)}`, `Pass --platform ${formatPlatform(have)} or pick a tag built for ${formatPlatform(want)}.`);
  }
  return os ? formatPlatform(have) : 'unknown';
}
