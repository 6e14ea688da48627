import { describe, expect, it } from 'vitest';
import { FerryError, UsageError } from '../../src/shared/errors';
import { formatPlatform, parsePlatform, selectPlatformManifest } from '../../src/main/registry/platform';
import type { Descriptor } from '../../src/main/registry/manifest-schema';
import { DOCKER_MANIFEST } from '../../src/main/registry/media-types';

const desc = (n: number, os: string, architecture: string, variant?: string): Descriptor => ({
  mediaType: DOCKER_MANIFEST,
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: 100 + n,
  platform: { os, architecture, ...(variant ? { variant } : {}) },
});

describe('parsePlatform', () => {
  it('defaults to linux/amd64', () => {
    expect(parsePlatform()).toEqual({ os: 'linux', architecture: 'amd64' });
  });
  it('parses os/arch/variant and normalises aliases and case', () => {
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parsePlatform('Linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/aarch64')).toEqual({ os: 'linux', architecture: 'arm64' });
  });
  it.each(['linux', 'linux/', '/amd64', 'linux/amd64/v8/x', 'linux/am d64', '../etc/passwd'])('rejects %j', (s) => {
    expect(() => parsePlatform(s)).toThrow(UsageError);
  });
  it('formats', () => {
    expect(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' })).toBe('linux/arm/v7');
    expect(formatPlatform({ os: 'linux', architecture: 'amd64' })).toBe('linux/amd64');
  });
});

describe('selectPlatformManifest', () => {
  const list = [
    desc(1, 'linux', 'amd64'),
    desc(2, 'linux', 'arm', 'v6'),
    desc(3, 'linux', 'arm', 'v7'),
    desc(4, 'linux', 'arm64', 'v8'),
    desc(5, 'unknown', 'unknown'),
    desc(6, 'windows', 'amd64'),
  ];
  it('picks by os/arch', () => {
    expect(selectPlatformManifest(list, parsePlatform('linux/amd64'), 'x')).toBe(list[0]);
    expect(selectPlatformManifest(list, parsePlatform('windows/amd64'), 'x')).toBe(list[5]);
  });
  it('honours an explicit variant', () => {
    expect(selectPlatformManifest(list, parsePlatform('linux/arm/v7'), 'x')).toBe(list[2]);
    expect(selectPlatformManifest(list, parsePlatform('linux/arm/v6'), 'x')).toBe(list[1]);
  });
  it('treats arm64 as arm64/v8 both ways', () => {
    expect(selectPlatformManifest(list, parsePlatform('linux/arm64'), 'x')).toBe(list[3]);
    const plain = [desc(7, 'linux', 'arm64')];
    expect(selectPlatformManifest(plain, parsePlatform('linux/arm64/v8'), 'x')).toBe(plain[0]);
  });
  it('lists the available platforms when nothing matches', () => {
    let err: unknown;
    try {
      selectPlatformManifest(list, parsePlatform('linux/s390x'), 'reg/app:1');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FerryError);
    const e = err as FerryError;
    expect(e.message).toContain('reg/app:1');
    expect(e.message).toContain('linux/s390x');
    expect(e.message).toContain('linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8, windows/amd64');
    expect(e.message).not.toContain('unknown');
    expect(e.hint).toContain('--platform');
  });
  it('ignores entries without a platform', () => {
    const noPlat: Descriptor = { mediaType: DOCKER_MANIFEST, digest: `sha256:${'f'.repeat(64)}`, size: 1 };
    expect(() => selectPlatformManifest([noPlat], parsePlatform(), 'x')).toThrow(/available: none/);
  });
});
