import { FerryError, UsageError } from '../../shared/errors';
import type { Descriptor, PlatformSpec } from './manifest-schema';

export type { PlatformSpec } from './manifest-schema';

export const DEFAULT_PLATFORM = 'linux/amd64';

const PART = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm' };

/** Parses `os/arch[/variant]` (default `linux/amd64`), normalising common arch aliases. */
export function parsePlatform(input: string = DEFAULT_PLATFORM): PlatformSpec {
  const s = input.trim().toLowerCase();
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => PART.test(p))) {
    throw new UsageError(`Invalid platform "${input}"`, 'Use OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64/v8.');
  }
  const [os, arch, variant] = parts as [string, string, string | undefined];
  const architecture = ARCH_ALIASES[arch] ?? arch;
  return variant !== undefined ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: PlatformSpec): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** arm64 means arm64/v8 unless said otherwise. */
function variantOf(p: PlatformSpec): string | undefined {
  if (p.variant) return p.variant.toLowerCase();
  return p.architecture === 'arm64' ? 'v8' : undefined;
}

/** Whether a platform in an index satisfies the wanted one. A wanted platform without variant accepts any variant. */
export function platformMatches(have: PlatformSpec, want: PlatformSpec): boolean {
  if (have.os.toLowerCase() !== want.os || (ARCH_ALIASES[have.architecture] ?? have.architecture).toLowerCase() !== want.architecture) return false;
  return !want.variant || variantOf(have) === variantOf(want);
}

/**
 * Picks the manifest for `want` from an OCI index or Docker manifest list. Prefers an exact
 * variant match, then an entry without a variant, then the first match. Throws a FerryError
 * listing the platforms available when none matches.
 */
export function selectPlatformManifest(manifests: readonly Descriptor[], want: PlatformSpec, where: string): Descriptor {
  const candidates = manifests.filter((m) => m.platform && platformMatches(m.platform, want));
  const exact = candidates.find((m) => variantOf(m.platform!) === variantOf(want));
  const plain = candidates.find((m) => !m.platform!.variant);
  const chosen = exact ?? plain ?? candidates[0];
  if (chosen) return chosen;
  const available = [
    ...new Set(
      manifests
        .filter((m) => m.platform && m.platform.os !== 'unknown')
        .map((m) => formatPlatform(m.platform!)),
    ),
  ];
  throw new FerryError(
    `${where} has no image for platform ${formatPlatform(want)}; available: ${available.length ? available.join(', ') : 'none'}`,
    available.length ? `Pass --platform with one of: ${available.join(', ')}` : 'The index lists no runnable platforms.',
  );
}
